import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';

export const MatMulInt8WeightOnly = 'MatMulInt8WeightOnly';

export interface MatMulInt8WeightOnlyOptions {
  /** float32 [M, K] activations (batch 1 is the case this kernel is for). */
  x: tf.Tensor2D;
  /** int32 [N, ceil(K/4)]: packed int8 weights, one row per output channel (quantizeInt8 with transpose). */
  w: tf.Tensor2D;
  /** float32 [N] per-channel weight scales (symmetric weights: no zero point). */
  wScale: tf.Tensor1D;
  bias?: tf.Tensor1D;
}

/**
 * float32 [M, N] = (x · int8(w)ᵀ) · wScale[n] + bias[n]: weights stay int8 in memory (4× less traffic than fp32),
 * activations stay float. Accumulation is float32, so results match the reference to rounding, not bit for bit.
 */
export function matMulInt8WeightOnly(o: MatMulInt8WeightOnlyOptions): tf.Tensor2D {
  const k = o.x.shape[1];
  if (o.x.rank !== 2 || o.x.dtype !== 'float32' || o.w.dtype !== 'int32' || o.w.shape[1] !== Math.ceil(k / 4)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/matmul-int8-weight-only: need float32 x [M, K] and int32 w [N, ${Math.ceil(k / 4)}] packed rows`);
  }
  if (o.wScale.size !== o.w.shape[0] || (o.bias && o.bias.size !== o.w.shape[0])) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/matmul-int8-weight-only: wScale/bias must have ${o.w.shape[0]} entries`);
  }
  const inputs: tf.NamedTensorMap = { x: o.x, w: o.w, wScale: o.wScale };
  if (o.bias) inputs.bias = o.bias;
  return tf.engine().runKernel(MatMulInt8WeightOnly, inputs, {}) as tf.Tensor2D;
}

export { matMulInt8WeightOnlyCpu, matMulInt8WeightOnlyWasm } from './cpu.js';
export { matMulInt8WeightOnlyWebgpu } from './webgpu.js';
export { matMulInt8WeightOnlyTensorflow, matMulInt8WeightOnlyComposite } from './tensorflow.js';
export { matMulInt8WeightOnlyRef } from './reference.js';
