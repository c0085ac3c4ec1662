import { ShrinkmlError } from '../../core/errors.js';
import { comparesClassScores, type BudgetCheck, type BudgetMetric, type CriterionResult } from '../../measure/index.js';
import { canBeClassScores } from '../../measure/quality.js';

/**
 * Budget criteria fall in two kinds. Cost criteria (size, gzip, parameter counts, latency) only get worse as the
 * search relaxes layers, so a cost failure ends the search; quality criteria (accuracy, drop, agreement...) are
 * what relaxing buys back.
 */
export const COST_METRICS: readonly BudgetMetric[] = ['size', 'gzip', 'params', 'nonzero', 'sparsity', 'p50', 'p95'];

export function isCost(metric: BudgetMetric): boolean {
  return COST_METRICS.includes(metric);
}

export function failing(check: BudgetCheck): { cost: CriterionResult[]; quality: CriterionResult[] } {
  const failed = check.criteria.filter((c) => !c.pass);
  return { cost: failed.filter((c) => isCost(c.metric)), quality: failed.filter((c) => !isCost(c.metric)) };
}

/** Scale of a miss when the target is 0 or tiny: a tenth of a point for drop, 1% for fractions, 1 otherwise. */
const FLOOR: Partial<Record<BudgetMetric, number>> = { drop: 0.1, acc: 0.01, agreement: 0.01, sparsity: 0.01 };

/**
 * How far a candidate is from the budget: the sum over failed criteria of the miss relative to the target
 * (0 when it passes; Infinity when a criterion could not be measured). The closest candidate has the smallest.
 */
export function shortfall(check: BudgetCheck): number {
  let total = 0;
  for (const c of check.criteria) {
    if (c.pass) continue;
    if (c.margin === null) return Infinity;
    total += Math.abs(c.margin) / Math.max(Math.abs(c.target), FLOOR[c.metric] ?? 1e-9);
  }
  return total;
}

/** Criteria that bound the stored size; a budget without any of them is judged on latency when it names one. */
const SIZE_METRICS: readonly BudgetMetric[] = ['size', 'gzip', 'params', 'nonzero', 'sparsity'];

/**
 * What the search minimises among passing candidates: the gzip size, or p50 where the latency criterion is the
 * binding one — the budget limits p50/p95 and says nothing about size, so a smaller file buys nothing and a
 * faster model (static int8, a narrower network) is what the user asked for.
 */
export function objectiveOf(budget: { criteria: readonly { metric: BudgetMetric }[] } | undefined): 'gzip' | 'p50' {
  const c = budget?.criteria ?? [];
  return c.some((x) => x.metric === 'p50' || x.metric === 'p95') && !c.some((x) => SIZE_METRICS.includes(x.metric)) ? 'p50' : 'gzip';
}

/** A trial's value of the search's objective (smaller is better; Infinity where it was not measured). */
export function objectiveValue(t: { metrics: { gzipBytes: number; p50Ms?: number } }, objective: 'gzip' | 'p50'): number {
  return objective === 'p50' ? (t.metrics.p50Ms ?? Infinity) : t.metrics.gzipBytes;
}

/**
 * Trial order: passing first, then the smallest shortfall, then the objective of the trial's budget (objectiveOf:
 * p50 for a latency-bound budget, gzip size otherwise), then the smallest gzip size.
 */
export function better(a: { pass: boolean; shortfall: number; metrics: { gzipBytes: number; p50Ms?: number }; budget?: { criteria: readonly { metric: BudgetMetric }[] } }, b: typeof a | undefined): boolean {
  if (!b) return true;
  if (a.pass !== b.pass) return a.pass;
  if (a.shortfall !== b.shortfall) return a.shortfall < b.shortfall;
  const objective = objectiveOf(a.budget);
  if (objective === 'p50' && objectiveValue(a, 'p50') !== objectiveValue(b, 'p50')) return objectiveValue(a, 'p50') < objectiveValue(b, 'p50');
  return a.metrics.gzipBytes < b.metrics.gzipBytes;
}

/**
 * Refuses, before any trial, a budget whose criteria the run cannot measure: label metrics on unlabelled data,
 * latency with latency measurement off, top-1 agreement or KL on a model none of whose declared outputs can be class
 * scores (pose, boxes, images: quality.ts leaves those metrics out). One BUDGET error naming the criteria and the data.
 */
export function checkMeasurable(budget: { criteria: readonly { metric: BudgetMetric; text: string }[] }, o: {
  data?: string; labelled: boolean; latency: boolean;
  /** The model's declared outputs (formatOf(model).outputs(model)); without them the class check is skipped. */
  outputs?: readonly { name: string; shape: readonly (number | string | null)[] }[];
}): void {
  const labels = budget.criteria.filter((c) => (c.metric === 'acc' || c.metric === 'drop') && !o.labelled);
  if (labels.length) {
    throw new ShrinkmlError('BUDGET', `budget criteria ${labels.map((c) => c.text).join(', ')} need labels, and ${o.data ?? 'the data'} has none`, {
      subject: '--budget', suggestion: 'use agreement, kl or cosine against the input model instead, or labelled data',
    });
  }
  const classes = budget.criteria.filter((c) => comparesClassScores(c.metric));
  if (classes.length && o.outputs?.length && !o.outputs.some((out) => canBeClassScores(out.shape))) {
    throw new ShrinkmlError('BUDGET', `budget criteria ${classes.map((c) => c.text).join(', ')} compare class scores, and no output of the model is one (${o.outputs.map((out) => `${out.name} [${out.shape.map((d) => d ?? '?').join(', ')}]`).join(', ')})`, {
      subject: '--budget', suggestion: 'budget cosine or psnr against the input model instead',
    });
  }
  const latency = budget.criteria.filter((c) => (c.metric === 'p50' || c.metric === 'p95') && !o.latency);
  if (latency.length) {
    throw new ShrinkmlError('BUDGET', `budget criteria ${latency.map((c) => c.text).join(', ')} need latency, which is turned off`, {
      subject: '--budget', suggestion: 'drop --no-latency, or the latency criteria',
    });
  }
}
