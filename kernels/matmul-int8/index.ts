import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';

export const MatMulInt8 = 'MatMulInt8';

/** Attrs of the MatMulInt8 kernel; inputs are a, w, wScale and optionally bias, wZeroPoint. */
export interface MatMulInt8Attrs {
  /** The true reduction length (rows are padded to ceil(k/4) words). */
  k: number;
  aScale: number;
  aZeroPoint: number;
}

export interface MatMulInt8Options extends MatMulInt8Attrs {
  /** int32 [M, ceil(k/4)]: packed int8 activations. */
  a: tf.Tensor2D;
  /** int32 [N, ceil(k/4)]: packed int8 weights, one row per output channel. */
  w: tf.Tensor2D;
  /** float32 [N] per-channel weight scales. */
  wScale: tf.Tensor1D;
  /** int32 [N] weight zero points (the spec's symmetric weights have none). */
  wZeroPoint?: tf.Tensor1D;
  /** float32 [N], added after the rescale. */
  bias?: tf.Tensor1D;
}

/** float32 [M, N] = int8 × int8 → int32 with zero points, rescaled per output channel (docs/numerics.md). */
export function matMulInt8(o: MatMulInt8Options): tf.Tensor2D {
  const words = Math.ceil(o.k / 4);
  if (o.a.dtype !== 'int32' || o.w.dtype !== 'int32' || o.a.shape[1] !== words || o.w.shape[1] !== words) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/matmul-int8: a and w must be int32 [*, ${words}] packed int8 rows for k=${o.k}`);
  }
  if (o.wScale.size !== o.w.shape[0]) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/matmul-int8: wScale has ${o.wScale.size} entries for ${o.w.shape[0]} channels`);
  }
  const inputs: tf.NamedTensorMap = { a: o.a, w: o.w, wScale: o.wScale };
  if (o.bias) inputs.bias = o.bias;
  if (o.wZeroPoint) inputs.wZeroPoint = o.wZeroPoint;
  const attrs: MatMulInt8Attrs = { k: o.k, aScale: o.aScale, aZeroPoint: o.aZeroPoint };
  return tf.engine().runKernel(MatMulInt8, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

export { matMulInt8Cpu } from './cpu.js';
export { matMulInt8Wasm } from './wasm.js';
export { matMulInt8Ref } from './reference.js';
