import { isSupportedActivation } from '../runtime/activations.js';
import type { LayerJson } from './graph.js';
import type { WeightQuantConfig } from './weights.js';

/** Layer classes with an int8 implementation, and the class each becomes. */
export const INT8_CLASS: Record<string, string> = { Dense: 'QuantizedDense', Conv2D: 'QuantizedConv2D' };

/** The int32 accumulator of the int8 kernels cannot overflow below this reduction length (docs/numerics.md). */
export const MAX_REDUCTION = 33_000;

const ones = (v: unknown) => (Array.isArray(v) ? v : [v ?? 1]).every((d) => d === 1);

/**
 * Why a Dense/Conv2D layer cannot run on the int8 kernels, or null when it can. `k` is its reduction length
 * (inputs per output: K for Dense, kh·kw·Ci for Conv2D).
 */
export function unsupportedReason(layer: LayerJson, k: number, weights: WeightQuantConfig): string | null {
  const c = layer.config;
  if (!(layer.class_name in INT8_CLASS)) return `${layer.class_name} has no int8 kernel`;
  if (!isSupportedActivation(c.activation as string | undefined)) return `activation '${c.activation}' is not supported by the int8 layers`;
  if (k > MAX_REDUCTION) return `reduction length ${k} exceeds ${MAX_REDUCTION} (int32 accumulator overflow)`;
  if (layer.class_name === 'Conv2D') {
    if (c.data_format !== undefined && c.data_format !== 'channels_last') return `data format ${c.data_format} (int8 conv is NHWC only)`;
    if (!ones(c.dilation_rate)) return 'dilated convolution';
    if (c.padding !== 'same' && c.padding !== 'valid') return `padding '${c.padding}'`;
    if (!weights.symmetric) return 'asymmetric weights (Conv2DInt8 has no weight zero points)';
  }
  return null;
}
