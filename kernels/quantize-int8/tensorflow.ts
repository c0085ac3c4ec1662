import * as tf from '@tensorflow/tfjs';
import { compositeKernel } from '../tensorflow/composite.js';
import { packBytes } from '../tensorflow/int8-ops.js';
import { quantizeGeometry } from './geometry.js';
import type { QuantizeInt8Attrs } from './index.js';

/**
 * QuantizeInt8 from tf ops: f32 division, tf.round (half to even on every backend), NaN → zero point, clamp,
 * then packBytes. Same numbers as the reference: one correctly rounded division, integer arithmetic after it.
 */
export function quantizeInt8Composite(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const { x, scale, zeroPoint } = inputs as { x: tf.Tensor; scale: tf.Tensor; zeroPoint: tf.Tensor };
  const a = attrs as unknown as QuantizeInt8Attrs;
  const { rows, k, outShape } = quantizeGeometry(x.shape, a.transpose);
  return tf.tidy(() => {
    const m = a.transpose ? tf.transpose(tf.reshape(x, [k, rows])) : tf.reshape(x, [rows, k]);
    const s = tf.reshape(tf.cast(scale, 'float32'), [-1, 1]);
    const zp = tf.reshape(tf.cast(zeroPoint, 'float32'), [-1, 1]);
    const q = tf.clipByValue(tf.add(tf.round(tf.div(m, s)), zp), a.qmin, a.qmax);
    const codes = tf.cast(tf.where(tf.isNaN(m), tf.mul(tf.onesLike(m), zp), q), 'int32') as tf.Tensor2D;
    return tf.reshape(packBytes(codes), outShape);
  });
}

export const quantizeInt8Tensorflow = compositeKernel('QuantizeInt8', quantizeInt8Composite);
