import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';
import { quantizeGeometry } from './geometry.js';

export const QuantizeInt8 = 'QuantizeInt8';

/** Attrs of the QuantizeInt8 kernel; inputs are x (float32), scale [1 or R] (float32), zeroPoint [1 or R] (int32). */
export interface QuantizeInt8Attrs {
  qmin: number;
  qmax: number;
  /**
   * false: x is [..., K], rows are packed along the last axis: int32 [..., ceil(K/4)] (activations).
   * true: x is [K, R] (all leading axes flattened into K, e.g. a Dense kernel [in, out] or a Conv2D filter
   * [fh, fw, in, out]); the output is [R, ceil(K/4)], one packed row per output channel (MatMulInt8's w).
   */
  transpose: boolean;
}

export interface QuantizeInt8Options {
  x: tf.Tensor;
  /** One scale (per tensor) or one per output row R (per channel). */
  scale: number | number[] | tf.Tensor1D;
  zeroPoint?: number | number[] | tf.Tensor1D;
  /** Defaults: the full int8 range [-128, 127]; weights use the narrow range [-127, 127]. */
  qmin?: number;
  qmax?: number;
  transpose?: boolean;
}

function vector(v: number | number[] | tf.Tensor1D, dtype: 'float32' | 'int32'): tf.Tensor1D {
  if (v instanceof tf.Tensor) return v.dtype === dtype ? v : tf.cast(v, dtype);
  return tf.tensor1d(typeof v === 'number' ? [v] : v, dtype);
}

/**
 * float → int8 codes packed four to an int32 (docs/numerics.md "Packing"), quantized with round-half-even,
 * NaN → zeroPoint. The inverse is dequantizeInt8.
 */
export function quantizeInt8(o: QuantizeInt8Options): tf.Tensor {
  const qmin = o.qmin ?? -128, qmax = o.qmax ?? 127;
  if (!(Number.isInteger(qmin) && Number.isInteger(qmax) && -128 <= qmin && qmin <= qmax && qmax <= 127)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/quantize-int8: [qmin, qmax] = [${qmin}, ${qmax}] is not an int8 range`);
  }
  if (o.x.rank < 1 || (o.transpose && o.x.rank < 2)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/quantize-int8: x has rank ${o.x.rank}; need >= 1 (>= 2 with transpose)`);
  }
  const transpose = o.transpose ?? false;
  const { rows } = quantizeGeometry(o.x.shape, transpose);
  return tf.tidy(() => {
    const scale = vector(o.scale, 'float32');
    // No zero points: 0 for every scale (symmetric weights).
    const zeroPoint = o.zeroPoint === undefined ? tf.zeros([scale.size], 'int32') as tf.Tensor1D : vector(o.zeroPoint, 'int32');
    if (scale.size !== zeroPoint.size || (scale.size !== 1 && scale.size !== rows)) {
      throw new ShrinkmlError('BAD_INPUT', `kernels/quantize-int8: ${scale.size} scales and ${zeroPoint.size} zero points for ${rows} rows`);
    }
    const attrs: QuantizeInt8Attrs = { qmin, qmax, transpose };
    return tf.engine().runKernel(QuantizeInt8, { x: o.x, scale, zeroPoint }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
}

export { quantizeInt8Cpu } from './cpu.js';
export { quantizeInt8Wasm } from './wasm.js';
export { quantizeInt8Webgpu } from './webgpu.js';
export { quantizeInt8Tensorflow, quantizeInt8Composite } from './tensorflow.js';
export { quantizeInt8Ref } from './reference.js';
export { quantizeGeometry } from './geometry.js';
