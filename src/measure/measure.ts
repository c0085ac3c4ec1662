import * as tf from '@tensorflow/tfjs';
import type { ProgressFn } from '../core/progress.js';
import type { LoadedTfjsModel as LoadedModel } from '../formats/types.js';
import { checkBudget } from './budget/check.js';
import { toBudget } from './budget/parse.js';
import type { Budget } from './budget/types.js';
import { measureLatency, type LatencyOptions } from './latency.js';
import { countParams } from './params.js';
import { evaluateQuality, type QualityBatches } from './quality.js';
import { measureSize } from './size.js';
import type { Measurement } from './types.js';

/**
 * What measureModel measures: the loaded model, optional labelled batches, a reference, latency settings, a budget.
 */
export interface MeasureModelOptions {
  loaded: LoadedModel;
  /** The model compressed from: enables agreement, meanKl, cosine, mse, psnr, and drop when data is labelled. */
  reference?: LoadedModel;
  /** Evaluation data; without it there is no accuracy and no comparison with the reference. */
  batches?: QualityBatches;
  /** Metric names (see METRICS); default: all the inputs allow. */
  metrics?: string[];
  /**
   * Latency settings, or true for the defaults, or false for none. Left out, latency is measured only when the
   * budget has a p50/p95 criterion.
   */
  latency?: boolean | Omit<LatencyOptions, 'model' | 'onProgress'>;
  /** A budget string or object; parsed first so a typo fails before any slow work. */
  budget?: string | Budget;
  /** Per-weight bits by manifest name (int8 layers), see countParams. */
  weightBits?: Record<string, number>;
  /** Packed int8 weights by name → real parameter count, see countParams. */
  packedInt8?: Record<string, number>;
  /** Dispose each batch's `x` after use. */
  disposeBatches?: boolean;
  /** Samples the batches will yield, so progress can say how far along evaluation is. */
  totalSamples?: number;
  onProgress?: ProgressFn;
}

const NAMED = ['accuracy', 'agreement', 'meanKl', 'cosine', 'mse', 'psnr'] as const;

/** Measures what the options ask for; the result uses the Measurement names the CLI prints. */
export async function measureModel(options: MeasureModelOptions): Promise<Measurement> {
  const { loaded } = options;
  const budget = options.budget === undefined ? undefined : toBudget(options.budget);
  const params = await countParams({ model: loaded.model, weightSpecs: loaded.weightSpecs, weightBits: options.weightBits, packedInt8: options.packedInt8 });
  const m: Measurement = {
    kind: loaded.kind, source: loaded.source, backend: tf.getBackend(),
    params: params.params, nonzeroParams: params.nonzeroParams, sparsity: params.sparsity, layers: params.layers,
    size: await measureSize({ loaded }),
  };
  if (options.batches) {
    const q = await evaluateQuality({
      model: loaded.model, reference: options.reference?.model, batches: options.batches, metrics: options.metrics,
      disposeBatches: options.disposeBatches, totalSamples: options.totalSamples, onProgress: options.onProgress,
    });
    m.samples = q.samples;
    const extra: Record<string, number> = {};
    for (const [name, value] of Object.entries(q.values)) {
      if ((NAMED as readonly string[]).includes(name)) (m as unknown as Record<string, number>)[name] = value;
      else extra[name] = value;
    }
    if (Object.keys(extra).length) m.metrics = extra;
    const refAcc = q.referenceValues.accuracy;
    if (refAcc !== undefined) {
      m.referenceAccuracy = refAcc;
      if (m.accuracy !== undefined) m.drop = (refAcc - m.accuracy) * 100;
    }
  }
  const budgetNeedsLatency = !!budget?.criteria.some((c) => c.metric === 'p50' || c.metric === 'p95');
  const latency = options.latency ?? budgetNeedsLatency;
  if (latency) {
    m.latency = await measureLatency({ ...(latency === true ? {} : latency), model: loaded.model, onProgress: options.onProgress });
  }
  if (budget) m.budget = checkBudget(budget, m);
  return m;
}
