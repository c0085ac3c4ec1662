import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import type { Dataset } from '../data/types.js';
import { graphInputs } from '../formats/onnx/decode.js';
import type { ModelProto } from '../formats/onnx/proto.js';
import type { OnnxValueInfo } from '../formats/types.js';
import { createObserver } from '../quantize/observers/index.js';
import type { Observer, ObserverName, ObserverOptions, Range } from '../quantize/observers/types.js';
import { batchSamples, datasetBatches, knownTotal, type CalibrationBatches, type Feeds } from './calibration-batches.js';
import { defaultOnnxRuntime } from './default-runtime.js';
import { encodeModel } from './encode.js';
import { cloneModel } from './graph.js';
import type { OnnxRuntime } from './ort.js';
import { planStatic } from './static-plan.js';

/**
 * Activation ranges for static quantization: the float model runs in onnxruntime with the tensors to observe added
 * as graph outputs, batch by batch, and each batch goes to one observer per tensor (src/quantize/observers: minmax,
 * percentile, entropy, ...). Batches are streamed: only the observers' statistics outlive a batch.
 *
 * Browser-safe: the runtime is a parameter (onnxruntime-node by default in Node, `webRuntime()` for
 * onnxruntime-web), and nothing here imports Node built-ins.
 */
export interface CalibrateOnnxOptions {
  model: ModelProto;
  /** Samples for the model's one input, cut into `batchSize` batches. Give this or `batches`. */
  dataset?: Dataset;
  /** Ready-made feeds, batch by batch (any number of inputs). Give this or `dataset`. */
  batches?: CalibrationBatches;
  /** Samples in `batches`, for progress when it is not an array (progress totals are 0 when unknown). */
  total?: number;
  /** The input fed with the dataset (default: the model's only input). */
  input?: OnnxValueInfo;
  /** Tensors to observe (default: those static QDQ quantizes, see ./static-plan.ts). */
  tensors?: readonly string[];
  observer?: ObserverName;
  observerOptions?: ObserverOptions;
  batchSize?: number;
  exclude?: readonly string[];
  /** Where the model runs (default: onnxruntime-node in Node; required elsewhere). */
  runtime?: OnnxRuntime;
  /** Called after every batch with the samples done so far. */
  onProgress?: ProgressFn;
  /**
   * Recurrent models: graph output → the input it feeds at the next batch (e.g. `{ state: 'stateN' }`). Calibration
   * feeds the batches as given; the fallbacks' measurements run them in order with the state fed back, so they see
   * the error a recurrent state accumulates (./weight-sensitivity.ts).
   */
  state?: Readonly<Record<string, string>>;
  /** The first `hold` batches are returned in `held` (the float fallback measures on them; see ./static-sensitivity.ts). */
  hold?: number;
}

/** What calibration measured: the range of each observed tensor, by the observer named, over `samples` samples. */
export interface Calibration {
  ranges: Record<string, Range>;
  /** Each observed tensor's shape in the last batch (static QDQ's 'webgpu' target puts scales along a fixed axis). */
  dims: Record<string, number[]>;
  observer: ObserverName;
  samples: number;
  /** The first `hold` batches fed. */
  held: Feeds[];
}

/**
 * Runs the float model over the calibration batches in the given onnxruntime (onnxruntime-node by default) with the
 * tensors static QDQ quantizes exposed as outputs, and returns the range each observer computed for them.
 */
export async function calibrateOnnx(options: CalibrateOnnxOptions): Promise<Calibration> {
  const { batches, total } = calibrationSource(options);
  const tensors = [...(options.tensors ?? planStatic(options.model, { exclude: options.exclude }).activations)];
  const observerName = options.observer ?? 'minmax';
  // Nothing to observe (no quantizable node): onnxruntime refuses a run with no outputs asked for.
  if (tensors.length === 0) return { ranges: {}, dims: {}, observer: observerName, samples: 0, held: [] };
  const observers = new Map<string, Observer>(tensors.map((t) => [t, createObserver(observerName, options.observerOptions)]));
  const exposed = cloneModel(options.model);
  const outputs = new Set((exposed.graph!.output ?? []).map((o) => o.name));
  // onnxruntime infers the types of added outputs; a name is enough.
  for (const t of tensors) if (!outputs.has(t)) exposed.graph!.output!.push({ name: t });
  const runtime = options.runtime ?? await defaultOnnxRuntime();
  const session = await runtime.createSession(encodeModel(exposed), { label: 'calibration model' });
  let done = 0;
  const dims: Record<string, number[]> = {};
  const held: Feeds[] = [];
  try {
    for await (const feeds of batches) {
      if (held.length < (options.hold ?? 0)) held.push(feeds);
      const result = await session.run(feeds, tensors);
      for (const t of tensors) { await observe(observers.get(t)!, t, result[t]!); dims[t] = [...result[t]!.dims]; }
      done += batchSamples(feeds);
      options.onProgress?.({ phase: 'calibrate', done, total, message: runtime.name });
    }
  } finally {
    await session.release();
  }
  if (done === 0) throw new ShrinkmlError('BAD_INPUT', 'calibration got no samples', { subject: 'dataset' });
  const ranges: Record<string, Range> = {};
  for (const [t, o] of observers) ranges[t] = o.compute();
  return { ranges, dims, observer: observerName, samples: done, held };
}

function calibrationSource(options: CalibrateOnnxOptions): { batches: CalibrationBatches; total: number } {
  if ((options.dataset === undefined) === (options.batches === undefined)) {
    throw new ShrinkmlError('BAD_INPUT', 'calibration takes either a dataset or batches of feeds', { subject: 'dataset' });
  }
  if (options.batches) return { batches: options.batches, total: options.total ?? knownTotal(options.batches) };
  const inputs = graphInputs(options.model, 'model');
  const input = options.input ?? inputs[0];
  if (!input || (!options.input && inputs.length !== 1)) {
    throw new ShrinkmlError('UNSUPPORTED', `calibration feeds one input; the model has ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`, {
      suggestion: 'pass batches of feeds for every input instead of a dataset',
    });
  }
  return { batches: datasetBatches(options.dataset!, input, options.batchSize ?? 32), total: options.dataset!.count };
}

async function observe(observer: Observer, name: string, value: { data: unknown; dims: readonly number[] }): Promise<void> {
  if (!(value.data instanceof Float32Array)) {
    throw new ShrinkmlError('UNSUPPORTED', `calibration: tensor '${name}' is not float32`, { subject: name });
  }
  const batch = tf.tensor(value.data, value.dims as number[], 'float32');
  try {
    await observer.collect(batch);
  } finally {
    batch.dispose();
  }
}
