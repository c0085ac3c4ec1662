import { METRICS } from '../metrics/index.js';
import type { BudgetMetric } from './types.js';

/** How a metric's target is written and what values it can take. */
export type UnitKind = 'bytes' | 'time' | 'fraction' | 'points' | 'count' | 'plain' | 'dB';

export interface BudgetMetricDef {
  name: BudgetMetric;
  aliases: string[];
  kind: UnitKind;
  /** Possible values of the metric; `loOpen` when the lower end itself cannot occur (a model has > 0 bytes). */
  lo: number;
  hi: number;
  loOpen?: boolean;
  /** One example, shown in error messages. */
  example: string;
}

/**
 * drop is bounded below by 0 on purpose: a drop budget limits how much accuracy compression may cost, so
 * `drop<0` (demanding a gain) is rejected as a budget no compression is meant to meet.
 */
export const BUDGET_METRICS: readonly BudgetMetricDef[] = [
  { name: 'size', aliases: ['bytes'], kind: 'bytes', lo: 0, hi: Infinity, loOpen: true, example: 'size<=300KB' },
  { name: 'gzip', aliases: ['gzipBytes'], kind: 'bytes', lo: 0, hi: Infinity, loOpen: true, example: 'gzip<=100KB' },
  { name: 'p50', aliases: ['p50Ms'], kind: 'time', lo: 0, hi: Infinity, loOpen: true, example: 'p50<=2ms' },
  { name: 'p95', aliases: ['p95Ms'], kind: 'time', lo: 0, hi: Infinity, loOpen: true, example: 'p95<=5ms' },
  { name: 'acc', aliases: ['accuracy'], kind: 'fraction', lo: 0, hi: 1, example: 'acc>=0.98 or acc>=98%' },
  { name: 'drop', aliases: [], kind: 'points', lo: 0, hi: 100, example: 'drop<=0.5% or drop<=0.5pt' },
  { name: 'params', aliases: [], kind: 'count', lo: 0, hi: Infinity, example: 'params<=100k' },
  { name: 'nonzero', aliases: ['nonzeroParams'], kind: 'count', lo: 0, hi: Infinity, example: 'nonzero<=50k' },
  { name: 'sparsity', aliases: [], kind: 'fraction', lo: 0, hi: 1, example: 'sparsity>=0.5 or sparsity>=50%' },
  { name: 'agreement', aliases: [], kind: 'fraction', lo: 0, hi: 1, example: 'agreement>=0.99' },
  { name: 'kl', aliases: ['meanKl'], kind: 'plain', lo: 0, hi: Infinity, example: 'kl<=0.01' },
  { name: 'cosine', aliases: [], kind: 'plain', lo: -1, hi: 1, example: 'cosine>=0.999' },
  { name: 'mse', aliases: [], kind: 'plain', lo: 0, hi: Infinity, example: 'mse<=0.001' },
  { name: 'psnr', aliases: [], kind: 'dB', lo: -Infinity, hi: Infinity, example: 'psnr>=40dB' },
];

export function findBudgetMetric(name: string): BudgetMetricDef | undefined {
  return BUDGET_METRICS.find((m) => m.name === name || m.aliases.includes(name));
}

export function budgetMetricDef(name: BudgetMetric): BudgetMetricDef {
  return BUDGET_METRICS.find((m) => m.name === name)!;
}

/**
 * Whether a budget metric compares class scores (agreement, kl): the metric registry's `classScores` metrics under
 * their budget names, measured only on outputs that can be class scores (quality.ts).
 */
export function comparesClassScores(name: BudgetMetric): boolean {
  const def = budgetMetricDef(name);
  return METRICS.some((m) => m.classScores && (m.name === def.name || def.aliases.includes(m.name)));
}

/** Whether a budget judges latency (p50/p95): such a budget needs timing runs, which are skipped otherwise. */
export function hasLatencyCriterion(budget: { criteria: { metric: BudgetMetric }[] } | undefined): boolean {
  return !!budget?.criteria.some((c) => c.metric === 'p50' || c.metric === 'p95');
}
