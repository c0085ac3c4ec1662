import * as tf from '@tensorflow/tfjs';
import { compositeKernel } from '../tensorflow/composite.js';
import { histogramScale } from './reference.js';

/**
 * Histogram from tf ops: the reference's bin formula (two float32 roundings), clamped, non-finite values given
 * weight 0, counted with unsortedSegmentSum in int32.
 */
export function histogramComposite(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const { x } = inputs as { x: tf.Tensor };
  const a = attrs as { bins: number; min: number; max: number };
  return tf.tidy(() => {
    const v = tf.reshape(x, [-1]);
    const finite = tf.isFinite(v);
    const t = tf.floor(tf.mul(tf.sub(v, tf.scalar(Math.fround(a.min))), tf.scalar(histogramScale(a))));
    const bin = tf.cast(tf.clipByValue(tf.where(finite, t, tf.zerosLike(t)), 0, a.bins - 1), 'int32');
    // The cpu backend sums int32 data into float32: exact while a bin holds fewer than 2^24 values.
    return tf.cast(tf.unsortedSegmentSum(tf.cast(finite, 'int32'), bin as tf.Tensor1D, a.bins), 'int32');
  });
}

export const histogramTensorflow = compositeKernel('Histogram', histogramComposite);
