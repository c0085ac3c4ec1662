import type { Measurement } from '../types.js';
import { comparesClassScores } from './metrics.js';
import type { Budget, BudgetCheck, BudgetMetric, BudgetOp, CriterionResult } from './types.js';

/** The measured value each budget metric is checked against. */
export function budgetValues(m: Partial<Measurement>): Partial<Record<BudgetMetric, number>> {
  return {
    size: m.size?.bytes, gzip: m.size?.gzipBytes, p50: m.latency?.p50Ms, p95: m.latency?.p95Ms,
    acc: m.accuracy, drop: m.drop, params: m.params, nonzero: m.nonzeroParams, sparsity: m.sparsity,
    agreement: m.agreement, kl: m.meanKl, cosine: m.cosine, mse: m.mse, psnr: m.psnr,
  };
}

/** Relative tolerance of '=': measured floats rarely equal a written decimal bit for bit. */
const EQ_TOLERANCE = 1e-9;

function compare(op: BudgetOp, measured: number, target: number): { pass: boolean; margin: number } {
  switch (op) {
    case '<=': return { pass: measured <= target, margin: target - measured };
    case '<': return { pass: measured < target, margin: target - measured };
    case '>=': return { pass: measured >= target, margin: measured - target };
    case '>': return { pass: measured > target, margin: measured - target };
    case '=': {
      const off = Math.abs(measured - target);
      return { pass: off <= EQ_TOLERANCE * Math.max(1, Math.abs(target)), margin: -off };
    }
  }
}

/**
 * Checks every criterion. Margins are in the criterion's base unit (bytes, ms, fraction, points...), positive
 * when there is headroom. A value that was not measured fails with reason 'not measured': a budget is a promise,
 * and an unchecked promise is not kept.
 */
export function checkBudget(budget: Budget, measured: Partial<Measurement>): BudgetCheck {
  const values = budgetValues(measured);
  const criteria = budget.criteria.map((c): CriterionResult => {
    const base = { criterion: c.text, metric: c.metric, op: c.op, target: c.target };
    const v = values[c.metric];
    if (v === undefined || v === null) {
      // Compared with a reference (cosine is there) and still no top-1 or KL: no output is class scores
      // (quality.ts `canBeClassScores`), so this criterion can never be measured on this model.
      const classless = comparesClassScores(c.metric) && values.cosine !== undefined;
      return { ...base, measured: null, pass: false, margin: null, reason: classless ? 'not measured: no output is class scores (pose, boxes, images); budget cosine or psnr' : 'not measured' };
    }
    if (Number.isNaN(v)) return { ...base, measured: v, pass: false, margin: null, reason: 'measured value is NaN' };
    return { ...base, measured: v, ...compare(c.op, v, c.target) };
  });
  return { pass: criteria.every((c) => c.pass), criteria };
}
