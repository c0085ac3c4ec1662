import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';

export const DequantizeInt8 = 'DequantizeInt8';

/** Attrs of the DequantizeInt8 kernel; inputs are q (packed int32), scale [1 or R], zeroPoint [1 or R] (int32). */
export interface DequantizeInt8Attrs {
  /** The true row length (rows are padded to ceil(k/4) words). */
  k: number;
  /** false: q is [..., ceil(k/4)] → [..., k]. true: q is [R, ceil(k/4)] → [k, R] (undoes quantizeInt8's transpose). */
  transpose: boolean;
}

export interface DequantizeInt8Options {
  q: tf.Tensor;
  k: number;
  scale: number | number[] | tf.Tensor1D;
  zeroPoint?: number | number[] | tf.Tensor1D;
  transpose?: boolean;
}

function vector(v: number | number[] | tf.Tensor1D, dtype: 'float32' | 'int32'): tf.Tensor1D {
  if (v instanceof tf.Tensor) return v.dtype === dtype ? v : tf.cast(v, dtype);
  return tf.tensor1d(typeof v === 'number' ? [v] : v, dtype);
}

/** Packed int8 codes → float32: x = (q - zeroPoint) · scale per row (docs/numerics.md). */
export function dequantizeInt8(o: DequantizeInt8Options): tf.Tensor {
  const words = Math.ceil(o.k / 4);
  const transpose = o.transpose ?? false;
  if (o.q.dtype !== 'int32' || o.q.rank < 1 || o.q.shape[o.q.rank - 1] !== words || (transpose && o.q.rank !== 2)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/dequantize-int8: q must be int32 [..., ${words}] packed rows for k=${o.k}` +
      (transpose ? ' and rank 2 with transpose' : ''));
  }
  const rows = o.q.size / words;
  return tf.tidy(() => {
    const scale = vector(o.scale, 'float32');
    // No zero points: 0 for every scale (symmetric weights).
    const zeroPoint = o.zeroPoint === undefined ? tf.zeros([scale.size], 'int32') as tf.Tensor1D : vector(o.zeroPoint, 'int32');
    if (scale.size !== zeroPoint.size || (scale.size !== 1 && scale.size !== rows)) {
      throw new ShrinkmlError('BAD_INPUT', `kernels/dequantize-int8: ${scale.size} scales and ${zeroPoint.size} zero points for ${rows} rows`);
    }
    const attrs: DequantizeInt8Attrs = { k: o.k, transpose };
    return tf.engine().runKernel(DequantizeInt8, { q: o.q, scale, zeroPoint }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
}

/** Output shape of the kernel. */
export function dequantizeShape(qShape: number[], a: DequantizeInt8Attrs): number[] {
  return a.transpose ? [a.k, qShape[0]!] : [...qShape.slice(0, -1), a.k];
}

export { dequantizeInt8Cpu, dequantizeInt8Wasm } from './cpu.js';
export { dequantizeInt8Webgpu } from './webgpu.js';
export { dequantizeInt8Tensorflow, dequantizeInt8Composite } from './tensorflow.js';
export { dequantizeInt8Ref } from './reference.js';
