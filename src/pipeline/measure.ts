import { batches, defaultBatchSize } from '../data/batches.js';
import type { InputOptions } from '../data/feeds.js';
import type { Dataset } from '../data/types.js';
import type { LoadedTfjsModel as LoadedModel } from '../formats/types.js';
import { measureModel, type Budget, type LatencyOptions, type Measurement } from '../measure/index.js';
import { int8WeightBits } from '../quantize/index.js';
import type { ProgressFn } from '../core/progress.js';
import { readModelBack } from './output.js';

/** The numbers reports and trials keep about one model (a flat subset of Measurement). */
export interface MetricsSummary {
  params: number;
  nonzeroParams: number;
  sparsity: number;
  bytes: number;
  gzipBytes: number;
  samples?: number;
  accuracy?: number;
  referenceAccuracy?: number;
  /** Accuracy points lost against the input model on the same samples. */
  drop?: number;
  agreement?: number;
  p50Ms?: number;
  p95Ms?: number;
}

export function summarize(m: Measurement): MetricsSummary {
  const s: MetricsSummary = {
    params: m.params, nonzeroParams: m.nonzeroParams, sparsity: m.sparsity, bytes: m.size.bytes, gzipBytes: m.size.gzipBytes,
  };
  if (m.samples !== undefined) s.samples = m.samples;
  if (m.accuracy !== undefined) s.accuracy = m.accuracy;
  if (m.referenceAccuracy !== undefined) s.referenceAccuracy = m.referenceAccuracy;
  if (m.drop !== undefined) s.drop = m.drop;
  if (m.agreement !== undefined) s.agreement = m.agreement;
  if (m.latency) { s.p50Ms = m.latency.p50Ms; s.p95Ms = m.latency.p95Ms; }
  return s;
}

export interface MeasureWrittenOptions {
  /** The written model.json. */
  modelJsonPath: string;
  reference?: LoadedModel;
  data?: Dataset;
  batchSize?: number;
  budget?: Budget;
  latency?: false | Omit<LatencyOptions, 'model' | 'onProgress'>;
  /** How inputs are fed; given, the data runs through the adapter's runner with feeds planned from the graph. */
  inputs?: InputOptions;
  onProgress?: ProgressFn;
}

/**
 * Measures a written model as a user would get it (read back from disk, clustered weights decoded, int8 layers on
 * the runtime): sizes of the files, stored bits per weight, accuracy and agreement against the reference.
 */
export async function measureWritten(o: MeasureWrittenOptions): Promise<Measurement> {
  const loaded = await readModelBack(o.modelJsonPath);
  try {
    const inputShape = loaded.model.inputs[0]?.shape ?? [];
    return await measureModel({
      loaded, reference: o.reference, budget: o.budget, totalSamples: o.data?.count, inputs: o.inputs,
      batches: o.data && !o.inputs ? batches(o.data, { batchSize: o.batchSize ?? defaultBatchSize(o.data), inputShape }) : undefined,
      dataset: o.inputs ? o.data : undefined, batchSize: o.batchSize,
      weightBits: { ...loaded.weightBits, ...int8WeightBits(loaded.model) },
      latency: o.latency ?? false, onProgress: o.onProgress,
    });
  } finally {
    loaded.model.dispose();
  }
}
