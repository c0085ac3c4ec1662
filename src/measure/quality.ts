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
  /** tfjs input tensor(s), or, for a Forward, whatever it reads (e.g. a sample range it builds feeds for). */
  x: tf.Tensor | tf.Tensor[] | { start: number; end: number };
  labels?: Int32Array;
}

/** Row-major outputs of one batch: `[rows, cols]`, cols = every value of a sample. */
export interface Outputs {
  data: Float32Array;
  rows: number;
  cols: number;
  /**
   * False when a sample's values cannot be one vector of class scores: more than one dim of size > 1 after the batch
   * (MoveNet's [1, 1, 17, 3] keypoints, a detector's [1, 896, 17] boxes, an image). Class metrics (agreement, KL)
   * skip such outputs. Unset: may be class scores (a [batch, classes] or [batch, classes, 1, 1] output).
   */
  classScores?: boolean;
}

/**
 * Whether an output of these dims can hold one class vector per sample: at most one dim > 1 after the batch. Declared
 * dims may be free (null, a symbol, −1): a free dim counts as > 1.
 */
export function canBeClassScores(dims: readonly (number | string | null)[]): boolean {
  return dims.slice(1).filter((d) => typeof d !== 'number' || d > 1 || d < 0).length <= 1;
}

/**
 * A model as quality evaluation sees it: every output of one batch, in order. measureModel builds one over a format
 * adapter's runner for any format; a tfjs model is wrapped as one directly.
 */
export type Forward = (x: QualityBatch['x']) => Promise<Outputs[]>;

export type QualityBatches = Iterable<QualityBatch> | AsyncIterable<QualityBatch>;

export interface EvaluateQualityOptions {
  model: AnyModel | Forward;
  /**
   * Needed by the 'reference' metrics (agreement, meanKl, cosine, mse, psnr). With several outputs each is compared
   * and the worst value is reported (accuracy reads output 0).
   */
  reference?: AnyModel | Forward;
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

/** Every output of a model on a batch. */
async function outputsOf(model: AnyModel | Forward, x: QualityBatch['x']): Promise<Outputs[]> {
  if (typeof model === 'function') return model(x);
  const outs = await runModel(model, x as tf.Tensor | tf.Tensor[]);
  try {
    return await Promise.all(outs.map(async (o) => {
      const raw = await o.data();
      const rows = o.shape[0] ?? 1;
      const data = raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>);
      return { data, rows, cols: rows ? o.size / rows : 0, classScores: canBeClassScores(o.shape) };
    }));
  } finally {
    tf.dispose(outs);
  }
}

/** The worse of two values of a metric (NaN-safe: a NaN is worst). */
function worse(m: Metric, a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return m.higherIsBetter ? Math.min(a, b) : Math.max(a, b);
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
  // Reference metrics of outputs 1.. (output 0's are in accs).
  const extraAccs: Map<string, MetricAccumulator>[] = [];
  const refAccs = new Map<string, MetricAccumulator>();
  let samples = 0;
  let index = 0;
  // Whether output 0 can be class scores (its class metrics are otherwise not reported).
  let firstIsClasses = true;
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
      const outs = await outputsOf(options.model, batch.x);
      const refs = options.reference ? await outputsOf(options.reference, batch.x) : undefined;
      const out = outs[0]!;
      const ref = refs?.[0];
      if (refs && refs.length !== outs.length) {
        throw new ShrinkmlError('BAD_INPUT', `batch ${index}: the model has ${outs.length} outputs but the reference has ${refs.length}`, { subject: '--reference' });
      }
      outs.forEach((o, k) => {
        const r = refs?.[k];
        if (r && (r.rows !== o.rows || r.cols !== o.cols)) {
          throw new ShrinkmlError('BAD_INPUT', `batch ${index}: model output ${k} is [${o.rows}, ${o.cols}] but the reference's is [${r.rows}, ${r.cols}]`, {
            subject: '--reference',
          });
        }
        if (k === 0 || !r) return;
        extraAccs[k - 1] ??= new Map(metrics!.filter((m) => m.needs === 'reference' && (!m.classScores || o.classScores !== false)).map((m) => [m.name, m.create()]));
        for (const acc of extraAccs[k - 1]!.values()) acc.collect({ rows: o.rows, cols: o.cols, output: o.data, reference: r.data });
      });
      if (batch.labels && batch.labels.length !== out.rows) {
        throw new ShrinkmlError('BAD_INPUT', `batch ${index}: ${batch.labels.length} labels for ${out.rows} samples`, { subject: '--data' });
      }
      const common = { labels: batch.labels, rows: out.rows, cols: out.cols };
      firstIsClasses = out.classScores !== false;
      for (const [name, acc] of accs) {
        if (out.classScores === false && metrics.find((m) => m.name === name)!.classScores) continue;
        acc.collect({ ...common, output: out.data, reference: ref?.data });
      }
      if (ref) for (const acc of refAccs.values()) acc.collect({ ...common, output: ref.data });
      samples += out.rows;
      index++;
      options.onProgress?.({ phase: 'evaluate', done: samples, total: options.totalSamples ?? samples });
    } finally {
      if (options.disposeBatches && !('start' in batch.x)) tf.dispose(batch.x as tf.Tensor | tf.Tensor[]);
    }
  }
  if (samples === 0) throw new ShrinkmlError('BAD_INPUT', 'quality evaluation got no samples (the data is empty)', { subject: '--data' });
  // Of several outputs, the worst; a class metric skips outputs that are not class scores (output 0's included), and is
  // left out when no output is (a pose or detection model has no top-1 to agree on: cosine and PSNR judge it).
  const values: Record<string, number> = {};
  for (const [name, acc] of accs) if (firstIsClasses || !metrics!.find((m) => m.name === name)!.classScores) values[name] = acc.compute();
  for (const extra of extraAccs) {
    for (const [name, acc] of extra ?? []) {
      const m = metrics!.find((x) => x.name === name)!;
      values[name] = name in values ? worse(m, values[name]!, acc.compute()) : acc.compute();
    }
  }
  const referenceValues: Record<string, number> = {};
  for (const [name, acc] of refAccs) referenceValues[name] = acc.compute();
  return { samples, values, referenceValues };
}
