import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import { getMetric, METRICS } from './metrics/index.js';
import type { Metric, MetricAccumulator } from './metrics/types.js';
import { runModel, type AnyModel } from './run.js';

/**
 * What quality evaluation consumes: the data module (or a caller) yields batches of inputs with optional class
 * labels. The producer owns `x`; it is disposed here only with `disposeBatches`.
 */
export interface QualityBatch {
  x: tf.Tensor | tf.Tensor[];
  labels?: Int32Array;
}

export type QualityBatches = Iterable<QualityBatch> | AsyncIterable<QualityBatch>;

export interface EvaluateQualityOptions {
  model: AnyModel;
  /** Needed by the 'reference' metrics (agreement, meanKl, cosine, mse, psnr). */
  reference?: AnyModel;
  batches: QualityBatches;
  /**
   * Metric names (or objects). Default: every metric the inputs allow (reference metrics when a reference is
   * given, label metrics when the first batch has labels). A named metric the inputs cannot feed is an error.
   */
  metrics?: (string | Metric)[];
  /** Dispose each batch's `x` after use, for producers that hand tensors over. */
  disposeBatches?: boolean;
  /** Samples expected, only for progress events. */
  totalSamples?: number;
  onProgress?: ProgressFn;
}

export interface QualityResult {
  samples: number;
  /** Metric values of the model, by metric name. */
  values: Record<string, number>;
  /** The label metrics (accuracy) of the reference model on the same batches, when a reference was given. */
  referenceValues: Record<string, number>;
}

interface Outputs {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** The first output only: classification models have one; multi-output models are measured on output 0. */
async function outputsOf(model: AnyModel, x: tf.Tensor | tf.Tensor[]): Promise<Outputs> {
  const outs = await runModel(model, x);
  try {
    const first = outs[0];
    const raw = await first.data();
    const rows = first.shape[0] ?? 1;
    const data = raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>);
    return { data, rows, cols: rows ? first.size / rows : 0 };
  } finally {
    tf.dispose(outs);
  }
}

function chooseMetrics(options: EvaluateQualityOptions, firstHasLabels: boolean): Metric[] {
  if (!options.metrics) {
    return METRICS.filter((m) => (m.needs === 'reference' ? !!options.reference : firstHasLabels));
  }
  const chosen = options.metrics.map((m) => (typeof m === 'string' ? getMetric(m) : m));
  for (const m of chosen) {
    if (m.needs === 'reference' && !options.reference) {
      throw new ShrinkmlError('BAD_INPUT', `metric ${m.name} compares against a reference model, and none was given`, {
        subject: 'metrics', suggestion: 'pass a reference model (--reference) or drop this metric',
      });
    }
  }
  return chosen;
}

/** Runs the model (and the reference) batch by batch and streams the outputs through the metrics. */
export async function evaluateQuality(options: EvaluateQualityOptions): Promise<QualityResult> {
  let metrics: Metric[] | undefined;
  const accs = new Map<string, MetricAccumulator>();
  const refAccs = new Map<string, MetricAccumulator>();
  let samples = 0;
  let index = 0;
  for await (const batch of options.batches as AsyncIterable<QualityBatch>) {
    try {
      if (!metrics) {
        metrics = chooseMetrics(options, !!batch.labels);
        for (const m of metrics) {
          accs.set(m.name, m.create());
          if (m.needs === 'labels' && options.reference) refAccs.set(m.name, m.create());
        }
      }
      const needsLabels = metrics.some((m) => m.needs === 'labels');
      if (needsLabels && !batch.labels) {
        throw new ShrinkmlError('BAD_INPUT', `batch ${index} has no labels (needed by ${metrics.filter((m) => m.needs === 'labels').map((m) => m.name).join(', ')})`, {
          subject: '--data',
        });
      }
      const out = await outputsOf(options.model, batch.x);
      const ref = options.reference ? await outputsOf(options.reference, batch.x) : undefined;
      if (ref && (ref.rows !== out.rows || ref.cols !== out.cols)) {
        throw new ShrinkmlError('BAD_INPUT', `batch ${index}: model output is [${out.rows}, ${out.cols}] but the reference's is [${ref.rows}, ${ref.cols}]`, {
          subject: '--reference',
        });
      }
      if (batch.labels && batch.labels.length !== out.rows) {
        throw new ShrinkmlError('BAD_INPUT', `batch ${index}: ${batch.labels.length} labels for ${out.rows} samples`, { subject: '--data' });
      }
      const common = { labels: batch.labels, rows: out.rows, cols: out.cols };
      for (const acc of accs.values()) acc.collect({ ...common, output: out.data, reference: ref?.data });
      if (ref) for (const acc of refAccs.values()) acc.collect({ ...common, output: ref.data });
      samples += out.rows;
      index++;
      options.onProgress?.({ phase: 'evaluate', done: samples, total: options.totalSamples ?? samples });
    } finally {
      if (options.disposeBatches) tf.dispose(batch.x);
    }
  }
  if (samples === 0) throw new ShrinkmlError('BAD_INPUT', 'quality evaluation got no samples (the data is empty)', { subject: '--data' });
  const values: Record<string, number> = {};
  for (const [name, acc] of accs) values[name] = acc.compute();
  const referenceValues: Record<string, number> = {};
  for (const [name, acc] of refAccs) referenceValues[name] = acc.compute();
  return { samples, values, referenceValues };
}
