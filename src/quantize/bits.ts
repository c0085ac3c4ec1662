import type * as tf from '@tensorflow/tfjs';
import { INT8_WEIGHT } from '../runtime/format.js';
import { INT8_CLASS } from './support.js';

const INT8_CLASSES = new Set(Object.values(INT8_CLASS));

/**
 * Bits per weight of the int8 layers of a loaded model, by manifest name, for countParams' `weightBits`
 * (`inspect --json`): the packed kernels are int32 tensors on disk, but each holds int8 values.
 * Note: the packed tensor has a quarter of the kernel's elements, so its `params` count is K/4 per row.
 */
export function int8WeightBits(model: tf.LayersModel): Record<string, number> {
  const bits: Record<string, number> = {};
  for (const layer of model.layers) {
    if (!INT8_CLASSES.has(layer.getClassName())) continue;
    const layerBits = (layer as unknown as { weightBits?: number }).weightBits ?? 8;
    for (const w of layer.weights) {
      if (w.originalName.endsWith(`/${INT8_WEIGHT.packed}`)) bits[w.originalName] = layerBits;
    }
  }
  return bits;
}

/**
 * True parameter counts of the packed int8 kernels (N·K, not the N·ceil(K/4) int32 words on disk), by manifest
 * name, for a params count that does not shrink 4x because of packing.
 */
export function int8ParamCounts(model: tf.LayersModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const layer of model.layers) {
    if (!INT8_CLASSES.has(layer.getClassName())) continue;
    const l = layer as unknown as { units?: number; inputDim?: number; filters?: number; kernelSize?: number[]; inputChannels?: number };
    const n = l.units ?? l.filters ?? 0;
    const k = l.inputDim ?? (l.kernelSize ?? [0, 0]).reduce((a, b) => a * b, 1) * (l.inputChannels ?? 0);
    for (const w of layer.weights) if (w.originalName.endsWith(`/${INT8_WEIGHT.packed}`)) counts[w.originalName] = n * k;
  }
  return counts;
}
