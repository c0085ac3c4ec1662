import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError, isShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import { batches } from '../data/batches.js';
import type { Dataset } from '../data/types.js';
import { modelInputShape } from '../train/evaluate.js';
import { createObserver } from './observers/index.js';
import type { Observer, ObserverName, ObserverOptions, Range } from './observers/types.js';
import { INT8_CLASS } from './support.js';

export interface CalibrateOptions {
  /** Samples of `data` to run (the first ones; the calibration split is already a seeded sample). Default: all. */
  samples?: number;
  /** One observer for every layer, or a choice per layer. Default 'minmax'. */
  observer?: ObserverName | ((layer: string) => { name: ObserverName; options?: ObserverOptions });
  observerOptions?: ObserverOptions;
  batchSize?: number;
  /** Layers whose input range is wanted. Default: every Dense and Conv2D. */
  layers?: string[];
  onProgress?: ProgressFn;
}

/** The input range calibrate observed for every layer to quantize. */
export interface CalibrationResult {
  /** Input range of each layer, as its observer chose it. */
  ranges: Record<string, Range>;
  observers: Record<string, ObserverName>;
  samples: number;
  seconds: number;
}

function inputOf(model: tf.LayersModel, name: string): tf.SymbolicTensor {
  const input = (() => {
    try {
      return model.getLayer(name).input;
    } catch (e) {
      throw new ShrinkmlError('UNSUPPORTED', `layer '${name}' is called at several places; it has no single input to calibrate`, { subject: name, cause: e });
    }
  })();
  if (Array.isArray(input)) throw new ShrinkmlError('UNSUPPORTED', `layer '${name}' has ${input.length} inputs; only one-input layers are calibrated`, { subject: name });
  return input;
}

/**
 * Runs calibration data through the float model and streams the input activations of the chosen layers into one
 * observer each, batch by batch: each batch's activations are dropped once observed.
 */
export async function calibrate(model: tf.LayersModel, data: Dataset, options: CalibrateOptions = {}): Promise<CalibrationResult> {
  const started = Date.now();
  const names = options.layers ?? model.layers.filter((l) => l.getClassName() in INT8_CLASS).map((l) => l.name);
  const count = Math.min(options.samples ?? data.count, data.count);
  if (count < 1) throw new ShrinkmlError('BAD_INPUT', `calibration data '${data.name}' has no samples`, { subject: data.files[0] ?? data.name });
  const pick = typeof options.observer === 'function' ? options.observer : () => ({ name: (options.observer as ObserverName | undefined) ?? 'minmax', options: options.observerOptions });
  const chosen = names.map((n) => pick(n));
  const observers: Observer[] = chosen.map((c) => createObserver(c.name, c.options));

  // A layer fed by the model input itself is observed on the batch; the others on outputs of a probe model that
  // shares the layers (never disposed: disposing it would dispose the shared weights).
  const modelInputIds = new Set(model.inputs.map((t) => t.id));
  const symbolic = names.map((n) => inputOf(model, n));
  const probeOutputs = [...new Map(symbolic.filter((t) => !modelInputIds.has(t.id)).map((t) => [t.id, t])).values()];
  const probe = probeOutputs.length ? tf.model({ inputs: model.inputs, outputs: probeOutputs }) : null;

  const batchSize = options.batchSize ?? 128;
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (const batch of batches(data, { batchSize, inputShape: modelInputShape(model), order })) {
    const outs = probe ? ([] as tf.Tensor[]).concat(probe.predict(batch.x) as tf.Tensor | tf.Tensor[]) : [];
    try {
      for (let i = 0; i < names.length; i++) {
        const t = symbolic[i]!;
        const value = modelInputIds.has(t.id) ? batch.x : outs[probeOutputs.findIndex((p) => p.id === t.id)]!;
        try {
          await observers[i]!.collect(value);
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          throw new ShrinkmlError(isShrinkmlError(e) ? e.code : 'INTERNAL', `calibrating the input of layer '${names[i]}': ${message}`, { subject: names[i], cause: e });
        }
      }
    } finally {
      tf.dispose(outs);
    }
    options.onProgress?.({ phase: 'calibrate', done: batch.end, total: count });
  }
  const ranges: Record<string, Range> = {};
  const used: Record<string, ObserverName> = {};
  names.forEach((n, i) => {
    ranges[n] = observers[i]!.compute();
    used[n] = chosen[i]!.name;
  });
  return { ranges, observers: used, samples: count, seconds: (Date.now() - started) / 1000 };
}
