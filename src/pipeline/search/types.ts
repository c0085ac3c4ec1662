import type { BudgetCheck } from '../../measure/index.js';
import type { MetricsSummary } from '../measure.js';
import type { LayerLevels } from '../steps/types.js';
import type { PipelineConfig } from '../config.js';
import type { AccuracyMargin } from './margin.js';

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
  /** The verdict per criterion; a drop limit is judged on drop + z·SE (see `accuracyMargin`), not the raw drop. */
  budget: BudgetCheck;
  pass: boolean;
  /**
   * With a drop limit and labelled validation data: the measured drop, its paired standard error, the bound
   * checked against the limit, and the verdict in words (see margin.ts).
   */
  accuracyMargin?: AccuracyMargin;
  /** 0 when passing; the summed relative miss of the failed criteria otherwise (see score.ts). */
  shortfall: number;
  split: string;
  seconds: number;
  /** Step summaries of the run (what each step did). */
  steps: { step: string; seconds: number; summary: Record<string, unknown> }[];
  /** `sha256:` of the candidate's weights as built: a rebuild from the same config and seed must give the same. */
  weightsHash?: string;
  /** false for a one-shot screening trial (no training); absent when the steps ran as configured. */
  fineTuned?: boolean;
}
