import * as tf from '@tensorflow/tfjs';
import { compositeKernel } from '../tensorflow/composite.js';

/**
 * FakeQuant from tf ops (scale and zeroPoint broadcast along the last axis): one f32 division, tf.round (half to
 * even), NaN → zero point, clamp, then (q - zp) · scale — the reference's numbers. Gradient: fakeQuantGradient.
 */
export function fakeQuantComposite(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const { x, scale, zeroPoint } = inputs as { x: tf.Tensor; scale: tf.Tensor; zeroPoint: tf.Tensor };
  const { qmin, qmax } = attrs as { qmin: number; qmax: number };
  return tf.tidy(() => {
    const zp = tf.cast(zeroPoint, 'float32');
    const q = tf.clipByValue(tf.add(tf.round(tf.div(x, scale)), zp), qmin, qmax);
    const codes = tf.where(tf.isNaN(x), tf.add(tf.zerosLike(x), zp), q);
    // (q - zp) is an exact small integer, so one rounding: the multiply.
    return tf.mul(tf.sub(codes, zp), scale);
  });
}

export const fakeQuantTensorflow = compositeKernel('FakeQuant', fakeQuantComposite);
