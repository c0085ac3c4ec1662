import type { BudgetCheck } from '../../measure/index.js';
import type { MetricsSummary } from '../measure.js';
import type { LayerLevels } from '../steps/types.js';
import type { PipelineConfig } from '../config.js';

/** One candidate the search built and measured (on the validation split), as report.json's `trials[]` lists it. */
export interface TrialRecord {
  id: number;
  /** The candidate: the pipeline as configured, with `levels` applied per layer (see MAX_LEVEL). */
  config: PipelineConfig;
  /** Per-layer fallback levels (0 = the pipeline as written; MAX_LEVEL = left float and dense). */
  levels: LayerLevels;
  /** Why this candidate: 'most aggressive' or which layer was relaxed and why. */
  reason: string;
  metrics: MetricsSummary;
  budget: BudgetCheck;
  pass: boolean;
  /** 0 when passing; the summed relative miss of the failed criteria otherwise (see score.ts). */
  shortfall: number;
  split: string;
  seconds: number;
  /** Step summaries of the run (what each step did). */
  steps: { step: string; seconds: number; summary: Record<string, unknown> }[];
}
