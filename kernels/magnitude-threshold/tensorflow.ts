import * as tf from '@tensorflow/tfjs';
import { compositeKernel } from '../tensorflow/composite.js';
import { orderedInputs } from './reference.js';

/**
 * MagnitudeThreshold from tf ops: topk of -|w| over all weights (TensorFlow's and tfjs' topk put the lower index
 * first among equal values, which is our tie rule). NaN is treated as +Infinity here (there is no bitcast in tf
 * ops to order NaN after it), so the composite differs from the kernels only on NaN weights.
 */
export function magnitudeThresholdComposite(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor[] {
  const { k } = attrs as { k: number };
  return tf.tidy(() => {
    if (k === 0) return [tf.scalar(-1), tf.scalar(-1, 'int32')];
    const all = tf.concat(orderedInputs(inputs).map((t) => tf.reshape(tf.abs(t), [-1])));
    const keys = tf.where(tf.isNaN(all), tf.fill(all.shape, Infinity), all);
    const { values, indices } = tf.topk(tf.neg(keys), k, true);
    return [tf.reshape(tf.neg(tf.slice(values, [k - 1], [1])), []), tf.reshape(tf.slice(indices, [k - 1], [1]), [])];
  });
}

export const magnitudeThresholdTensorflow = compositeKernel('MagnitudeThreshold', magnitudeThresholdComposite);
