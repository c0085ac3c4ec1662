import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import type { Dataset } from '../data/types.js';
import { graphInputs } from '../formats/onnx/decode.js';
import type { ModelProto } from '../formats/onnx/proto.js';
import { encodeOnnx } from '../formats/onnx/write.js';
import type { OnnxValueInfo } from '../formats/types.js';
import { createObserver } from '../quantize/observers/index.js';
import type { Observer, ObserverName, ObserverOptions, Range } from '../quantize/observers/types.js';
import { datasetFeed } from './data.js';
import { cloneModel } from './graph.js';
import { createSession, runSession } from './runtime.js';
import { planStatic } from './static-plan.js';

/**
 * Activation ranges for static quantization: the float model runs in onnxruntime with the tensors to observe added
 * as graph outputs, batch by batch, and each batch goes to one observer per tensor (src/quantize/observers: minmax,
 * percentile, entropy, ...). Batches are streamed: only the observers' statistics outlive a batch.
 */
export interface CalibrateOnnxOptions {
  model: ModelProto;
  dataset: Dataset;
  /** The input fed with the dataset (default: the model's only input). */
  input?: OnnxValueInfo;
  /** Tensors to observe (default: those static QDQ quantizes, see ./static-plan.ts). */
  tensors?: readonly string[];
  observer?: ObserverName;
  observerOptions?: ObserverOptions;
  batchSize?: number;
  exclude?: readonly string[];
  onProgress?: ProgressFn;
}

export interface Calibration {
  ranges: Record<string, Range>;
  observer: ObserverName;
  samples: number;
}

export async function calibrateOnnx(options: CalibrateOnnxOptions): Promise<Calibration> {
  const { dataset } = options;
  const inputs = graphInputs(options.model, 'model');
  const input = options.input ?? inputs[0];
  if (!input || (!options.input && inputs.length !== 1)) {
    throw new ShrinkmlError('UNSUPPORTED', `calibration feeds one input; the model has ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`);
  }
  const tensors = [...(options.tensors ?? planStatic(options.model, { exclude: options.exclude }).activations)];
  const observerName = options.observer ?? 'minmax';
  const observers = new Map<string, Observer>(tensors.map((t) => [t, createObserver(observerName, options.observerOptions)]));
  const exposed = cloneModel(options.model);
  const outputs = new Set((exposed.graph!.output ?? []).map((o) => o.name));
  // onnxruntime infers the types of added outputs; a name is enough.
  for (const t of tensors) if (!outputs.has(t)) exposed.graph!.output!.push({ name: t });
  const session = await createSession(encodeOnnx(exposed), { label: 'calibration model' });
  const batchSize = options.batchSize ?? 32;
  try {
    for (let start = 0; start < dataset.count; start += batchSize) {
      const end = Math.min(start + batchSize, dataset.count);
      const result = await runSession(session, { [input.name]: datasetFeed(dataset, input, { start, end }) }, tensors, 'calibration model');
      for (const t of tensors) {
        const value = result[t]!;
        if (!(value.data instanceof Float32Array)) {
          throw new ShrinkmlError('UNSUPPORTED', `calibration: tensor '${t}' is not float32`, { subject: t });
        }
        const batch = tf.tensor(value.data, value.dims as number[], 'float32');
        try {
          await observers.get(t)!.collect(batch);
        } finally {
          batch.dispose();
        }
      }
      options.onProgress?.({ phase: 'calibrate', done: end, total: dataset.count });
    }
  } finally {
    await session.release();
  }
  const ranges: Record<string, Range> = {};
  for (const [t, o] of observers) ranges[t] = o.compute();
  return { ranges, observer: observerName, samples: dataset.count };
}
