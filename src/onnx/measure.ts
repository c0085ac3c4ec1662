import type { InferenceSession } from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import type { ProgressFn } from '../core/progress.js';
import { ShrinkmlError } from '../core/errors.js';
import { batches, type Dataset } from '../data/index.js';
import { dataTypeName, tensorDims, tensorToFloat32, elementCountOf } from '../formats/onnx/tensor.js';
import { forEachTensor } from '../formats/onnx/walk.js';
import type { LoadedModel, LoadedOnnxModel } from '../formats/types.js';
import { checkBudget, measureSize, summarize, toBudget, type Budget, type LayerStats, type Measurement } from '../measure/index.js';
import { argmaxRows, predictOnnx } from './evaluate.js';
import { createSession, runSession } from './runtime.js';

/**
 * `eval`/`inspect` for ONNX files: the same Measurement the tfjs path produces, measured through onnxruntime-node
 * (the runtime users ship ONNX with), so budgets and --json read the same for both formats.
 */
export interface MeasureOnnxOptions {
  loaded: LoadedOnnxModel;
  /** The model compressed from, ONNX or tfjs: gives drop and agreement. */
  reference?: LoadedOnnxModel | LoadedModel;
  dataset?: Dataset;
  batchSize?: number;
  latency?: false | { batchSizes: number[]; runs: number; warmup: number };
  budget?: string | Budget;
  onProgress?: ProgressFn;
}

const BITS: Record<string, number> = { float: 32, double: 64, float16: 16, bfloat16: 16, int8: 8, uint8: 8, int32: 32, int64: 64 };

/** One row per stored tensor (initializers and Constant nodes): ONNX has no layers, its weights are the unit. */
export function onnxWeightStats(loaded: LoadedOnnxModel): LayerStats[] {
  const rows: LayerStats[] = [];
  forEachTensor(loaded.model.graph!, ({ tensor }) => {
    const dtype = dataTypeName(tensor.dataType).toLowerCase();
    const dims = tensorDims(tensor);
    const params = elementCountOf(dims);
    let nonzero = 0;
    if (params > 0 && dtype !== 'string') {
      const values = tensorToFloat32(tensor);
      for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonzero++;
    }
    rows.push({
      name: tensor.name ?? '', class: dtype, params, nonzeroParams: nonzero, sparsity: params ? 1 - nonzero / params : 0,
      weightBits: BITS[dtype] ?? null, outputShape: dims, weights: [],
    });
  });
  return rows;
}

async function timeSession(session: InferenceSession, loaded: LoadedOnnxModel, options: { batchSizes: number[]; runs: number; warmup: number }, onProgress?: ProgressFn) {
  const input = loaded.inputs[0]!;
  const total = options.batchSizes.length * (options.runs + options.warmup);
  let done = 0;
  const byBatch = [];
  for (const batchSize of options.batchSizes) {
    const dims = input.shape.map((d, i) => (i === 0 ? batchSize : typeof d === 'number' ? d : 1));
    const feed = { [input.name]: { data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims } };
    const times: number[] = [];
    for (let i = 0; i < options.warmup + options.runs; i++) {
      const t0 = performance.now();
      await runSession(session, feed, undefined, loaded.source);
      if (i >= options.warmup) times.push(performance.now() - t0);
      onProgress?.({ phase: 'latency', done: ++done, total, message: `batch ${batchSize}` });
    }
    const s = summarize(times);
    byBatch.push({ batchSize, runs: options.runs, p50Ms: s.p50, p95Ms: s.p95, meanMs: s.mean, minMs: s.min, maxMs: s.max });
  }
  const one = byBatch.find((b) => b.batchSize === 1);
  return { backend: 'onnxruntime-node', p50Ms: one?.p50Ms, p95Ms: one?.p95Ms, byBatch };
}

/** Top-1 predictions of any model shrinkml loads on a dataset. */
async function predictClasses(model: LoadedOnnxModel | LoadedModel, dataset: Dataset, batchSize: number, onProgress?: ProgressFn): Promise<Int32Array> {
  if (model.kind === 'onnx') {
    const session = await createSession(model.bytes, { label: model.source });
    try {
      const { values, rowSize } = await predictOnnx({ session, input: model.inputs[0]!, dataset, batchSize, onProgress });
      return argmaxRows(values, rowSize);
    } finally {
      await session.release();
    }
  }
  const out = new Int32Array(dataset.count);
  const inputShape = model.model.inputs[0]?.shape ?? [];
  for (const b of batches(dataset, { batchSize, inputShape })) {
    const predicted = tf.tidy(() => {
      const y = model.kind === 'layers' ? model.model.predict(b.x) : model.model.predict(b.x);
      return (Array.isArray(y) ? y[0]! : (y as tf.Tensor)).argMax(-1);
    });
    out.set(await predicted.data() as Int32Array, b.start);
    predicted.dispose();
  }
  return out;
}

/**
 * measureModel for .onnx files: size, parameters, accuracy and latency in onnxruntime (onnxruntime-node by
 * default).
 */
export async function measureOnnx(options: MeasureOnnxOptions): Promise<Measurement> {
  const { loaded, dataset } = options;
  const budget = options.budget === undefined ? undefined : toBudget(options.budget);
  if (loaded.inputs.length !== 1) {
    throw new ShrinkmlError('UNSUPPORTED', `${loaded.source}: measuring feeds one input; the model has ${loaded.inputs.length}`, { subject: loaded.source });
  }
  const layers = onnxWeightStats(loaded);
  const params = layers.reduce((a, l) => a + l.params, 0);
  const nonzeroParams = layers.reduce((a, l) => a + l.nonzeroParams, 0);
  const m: Measurement = {
    kind: 'onnx', source: loaded.source, backend: 'onnxruntime-node', params, nonzeroParams,
    sparsity: params ? 1 - nonzeroParams / params : 0, layers, size: await measureSize({ loaded }),
  };
  const batchSize = options.batchSize ?? 256;
  if (dataset) {
    const predicted = await predictClasses(loaded, dataset, batchSize, options.onProgress);
    m.samples = dataset.count;
    if (dataset.labels) m.accuracy = agreementOf(predicted, dataset.labels);
    if (options.reference) {
      const ref = await predictClasses(options.reference, dataset, batchSize, options.onProgress);
      m.agreement = agreementOf(predicted, ref);
      if (dataset.labels) {
        m.referenceAccuracy = agreementOf(ref, dataset.labels);
        m.drop = 100 * (m.referenceAccuracy - m.accuracy!);
      }
    }
  }
  if (options.latency) {
    const session = await createSession(loaded.bytes, { label: loaded.source });
    try {
      m.latency = await timeSession(session, loaded, options.latency, options.onProgress);
    } finally {
      await session.release();
    }
  }
  if (budget) m.budget = checkBudget(budget, m);
  return m;
}

function agreementOf(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length ? same / a.length : 0;
}
