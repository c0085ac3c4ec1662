import type * as tf from '@tensorflow/tfjs';
import type { WarnFn } from '../core/progress.js';
import type { WeightEncoding } from '../formats/types.js';
import { settingsFor, type QuantConfig } from './config.js';

export interface WeightOnlyLayer {
  name: string;
  class: string;
  /** Manifest name → storage of each weight of the layer. */
  weights: Record<string, WeightEncoding>;
  reason?: string;
}

export interface WeightOnlyPlan {
  /** For saveLayersModel's `weightEncodings`: manifest name → storage. */
  weightEncodings: Record<string, WeightEncoding>;
  layers: WeightOnlyLayer[];
}

/**
 * Stock-loadable storage: the model is unchanged, its float32 weights are stored as uint8 (affine, one scale and
 * min per tensor, 0 exactly representable: the format's limits) or float16, and tf.io decodes them to float32 on
 * load. uint8 applies to kernels and other weights of rank >= 2; biases and BatchNorm statistics stay float32
 * (a per-tensor uint8 grid over a variance or a bias loses much for a few bytes). float16 applies to all.
 */
export function planWeightOnly(o: { model: tf.LayersModel; dtype: 'uint8' | 'float16'; config: QuantConfig; onWarn?: WarnFn }): WeightOnlyPlan {
  if (o.dtype === 'uint8' && o.config.weights.perChannel) {
    o.onWarn?.('weights:uint8 stores one scale per tensor (the TensorFlow.js manifest format allows no more); --per-channel does not apply');
  }
  const weightEncodings: Record<string, WeightEncoding> = {};
  const layers: WeightOnlyLayer[] = [];
  for (const layer of o.model.layers) {
    if (layer.weights.length === 0) continue;
    const settings = settingsFor(o.config, { name: layer.name, className: layer.getClassName() });
    const row: WeightOnlyLayer = { name: layer.name, class: layer.getClassName(), weights: {} };
    for (const w of layer.weights) {
      let encoding: WeightEncoding = 'float32';
      if (!settings.exclude && w.dtype === 'float32') {
        encoding = o.dtype === 'float16' || w.shape.length >= 2 ? o.dtype : 'float32';
      }
      row.weights[w.originalName] = encoding;
      if (encoding !== 'float32') weightEncodings[w.originalName] = encoding;
    }
    if (settings.exclude) row.reason = 'excluded by an override';
    layers.push(row);
  }
  return { weightEncodings, layers };
}
