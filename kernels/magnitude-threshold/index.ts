import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';

export const MagnitudeThreshold = 'MagnitudeThreshold';

export interface MagnitudeThresholdOptions {
  /** The weights pruned together (global magnitude pruning); any shapes, float32. */
  tensors: tf.Tensor[];
  /** How many weights to prune, 0 ≤ k ≤ total size. */
  k: number;
}

export interface MagnitudeThresholdResult {
  /** float32 scalar: the k-th smallest |w| (-1 when k = 0). */
  threshold: tf.Scalar;
  /**
   * int32 scalar: the global index of that weight, counting through the tensors in order (tensor 0's flat elements
   * first). Weight g of magnitude a is pruned iff (a, g) ≤ (threshold, index) — exactly k weights, ties at the
   * threshold going to the lower indices. -1 when k = 0.
   */
  index: tf.Scalar;
}

/**
 * The k-th smallest magnitude over many tensors, on the device: magnitudes order as the bits of |w| (NaN after
 * +Infinity, -0 = 0), ties by global index. The WebGPU kernel radix-selects on the float bits, then on the index
 * among ties; nothing is sorted or read back on the host.
 */
export function magnitudeThreshold(o: MagnitudeThresholdOptions): MagnitudeThresholdResult {
  const total = o.tensors.reduce((s, t) => s + t.size, 0);
  if (o.tensors.length === 0 || !Number.isInteger(o.k) || o.k < 0 || o.k > total) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/magnitude-threshold: k=${o.k} must be an integer in [0, ${total}] over ${o.tensors.length} tensors`);
  }
  if (total >= 2 ** 31) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/magnitude-threshold: ${total} weights exceed the int32 global index`);
  }
  const inputs: tf.NamedTensorMap = {};
  o.tensors.forEach((t, i) => { inputs[`x${i}`] = t.dtype === 'float32' ? t : tf.cast(t, 'float32'); });
  const [threshold, index] = tf.engine().runKernel(MagnitudeThreshold, inputs, { k: o.k }) as tf.Tensor[];
  o.tensors.forEach((t, i) => { if (inputs[`x${i}`] !== t) inputs[`x${i}`]!.dispose(); });
  return { threshold: threshold as tf.Scalar, index: index as tf.Scalar };
}

/** float32 masks (1 keep, 0 prune) for the tensors of magnitudeThreshold, from tf ops on any backend. */
export function magnitudeMasks(o: { tensors: tf.Tensor[]; threshold: tf.Scalar; index: tf.Scalar }): tf.Tensor[] {
  let offset = 0;
  return o.tensors.map((t) => tf.tidy(() => {
    const a = tf.abs(t);
    const g = tf.reshape(tf.add(tf.range(0, t.size, 1, 'int32'), tf.scalar(offset, 'int32')), t.shape);
    offset += t.size;
    // NaN orders after every number (as its bits do): it is "less" only when the threshold itself is NaN.
    const tNaN = tf.isNaN(o.threshold);
    const below = tf.logicalOr(tf.less(a, o.threshold), tf.logicalAnd(tNaN, tf.logicalNot(tf.isNaN(a))));
    const same = tf.logicalOr(tf.equal(a, o.threshold), tf.logicalAnd(tNaN, tf.isNaN(a)));
    const pruned = tf.logicalOr(below, tf.logicalAnd(same, tf.lessEqual(g, o.index)));
    return tf.cast(tf.logicalNot(pruned), 'float32');
  }));
}

export { magnitudeThresholdCpu, magnitudeThresholdWasm } from './cpu.js';
export { magnitudeThresholdWebgpu } from './webgpu.js';
export { magnitudeThresholdTensorflow, magnitudeThresholdComposite } from './tensorflow.js';
export { magnitudeThresholdRef } from './reference.js';
