import type { BudgetCheck } from '../measure/index.js';
import type { LayerStats } from '../measure/params.js';
import type { MetricsSummary } from '../pipeline/measure.js';
import type { PipelineConfig } from '../pipeline/config.js';
import type { StepRecord } from '../pipeline/run.js';
import type { SensitivityRow } from '../pipeline/search/sensitivity.js';
import type { UnitSensitivity } from '../pipeline/search/allocate.js';
import type { TrialRecord } from '../pipeline/search/types.js';
import type { LayerLevels } from '../pipeline/steps/types.js';

/** One row of the per-layer table: parameters, sparsity and stored bits of the output, beside the input's. */
export interface LayerRow {
  name: string;
  class: string;
  params: number;
  nonzeroParams: number;
  sparsity: number;
  /** Bits per weight as stored (kernel): 32 float, 16 float16, 8 uint8/int8, ≤ 6 clustered; null without weights. */
  weightBits: number | null;
  /** Fallback level the search left this layer at (0 = as configured). */
  level?: number;
}

/**
 * report.json of `shrinkml compress`: everything a person or a program needs to judge the result. The field
 * names are a contract (report.md and report.html are rendered from this object alone).
 */
export interface CompressReport {
  kind: 'compress';
  shrinkml: string;
  tfjs: string;
  backend: string;
  createdAt: string;
  input: { path: string; hash: string; metrics: MetricsSummary };
  output: { path: string; metrics: MetricsSummary; weightsHash: string };
  /** Where the input/output metrics were measured (the trials use the validation split). */
  evaluation: { data?: string; split: string; samples?: number };
  pipeline: PipelineConfig;
  levels: LayerLevels;
  steps: StepRecord[];
  budget?: {
    text: string;
    /** The verdict on the evaluation split (what the exit code reflects). */
    check: BudgetCheck;
    pass: boolean;
    /** True when no candidate met the budget and the output is the closest one. */
    closest: boolean;
    /** One line saying what happened, e.g. which criterion failed and by how much. */
    message: string;
  };
  search?: {
    /** 'search the pipeline' (no steps given) or 'relax the written pipeline'. */
    mode?: string;
    /** What the search minimised among passing candidates: 'p50' for a latency-bound budget, else 'gzip'. */
    objective?: 'gzip' | 'p50';
    stopReason: string;
    seconds: number;
    maxTrials: number;
    timeoutSeconds: number;
    /** Trial id of the output. */
    chosen: number;
    /** Ids of the trials on the Pareto front of gzip size × validation quality × p50 (no trial beats them on all three). */
    pareto?: number[];
    sensitivity: SensitivityRow[];
    /** Fine-tuning-free probes of a search without a written pipeline: each unit's output distortion at one choice. */
    probes?: UnitSensitivity[];
    resumedTrials: number;
  };
  /** Every candidate the search measured (config levels + metrics + verdict), in order. Empty without a search. */
  trials: TrialRecord[];
  layers: LayerRow[];
  notes: string[];
}

export function layerRows(layers: LayerStats[], levels: LayerLevels = {}): LayerRow[] {
  return layers.map((l) => ({
    name: l.name, class: l.class, params: l.params, nonzeroParams: l.nonzeroParams, sparsity: l.sparsity, weightBits: l.weightBits,
    ...(levels[l.name] !== undefined ? { level: levels[l.name] } : {}),
  }));
}
