import type * as tf from '@tensorflow/tfjs';
import { parseQuantConfig, settingsFor, type QuantConfig } from '../config.js';
import { prepareFloat } from '../prepare.js';
import { INT8_CLASS } from '../support.js';
import { prepareQat, type QatModel } from './index.js';

/**
 * TF-MOT's `quantize_model` for tfjs: folds BatchNorms and fuses activations into the Dense/Conv2D layers that will
 * become int8, then puts fake quantization on their weights and inputs. Train `qat.model` with your own `compile` and
 * `fit` (any optimizer, epochs and callbacks, `PruningCallback` included); the input ranges are learned as moving
 * averages while training. Then `convertQat(qat, { int8: true })` gives the int8 model. The input model is untouched.
 *
 * `config` is a quantization config as JSON data (`{ weights: { perChannel: false }, overrides: [...] }`), validated
 * like the CLI's `--config`; leave it out for per-channel symmetric int8 weights.
 */
export async function quantizeModel(model: tf.LayersModel, config: Record<string, unknown> = {}): Promise<QatModel> {
  const parsed: QuantConfig = parseQuantConfig({ ...config, mode: 'qat' }, 'quantizeModel config');
  const classOf = new Map(model.layers.map((l) => [l.name, l.getClassName()]));
  const prepared = await prepareFloat({
    model, foldBatchNorm: parsed.foldBatchNorm, fuseActivations: parsed.fuseActivations,
    targets: (name) => (classOf.get(name) ?? '') in INT8_CLASS && !settingsFor(parsed, { name, className: classOf.get(name)! }).exclude,
  });
  const qat = await prepareQat({ model: prepared.model, config: parsed });
  return { ...qat, config: parsed };
}
