import * as tf from '@tensorflow/tfjs';
import { compositeKernel } from '../tensorflow/composite.js';
import { unpackBytes } from '../tensorflow/int8-ops.js';
import { dequantizeShape, type DequantizeInt8Attrs } from './index.js';

/** DequantizeInt8 from tf ops: unpackBytes, exact int32 (q - zeroPoint), one float32 multiply per value. */
export function dequantizeInt8Composite(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const { q, scale, zeroPoint } = inputs as { q: tf.Tensor; scale: tf.Tensor; zeroPoint: tf.Tensor };
  const a = attrs as unknown as DequantizeInt8Attrs;
  return tf.tidy(() => {
    const words = Math.ceil(a.k / 4);
    const rows = q.size / words;
    const bytes = tf.slice(unpackBytes(tf.reshape(q, [rows, words])), [0, 0], [rows, a.k]);
    const zp = tf.reshape(tf.cast(zeroPoint, 'int32'), [-1, 1]);
    const values = tf.mul(tf.cast(tf.sub(bytes, zp), 'float32'), tf.reshape(tf.cast(scale, 'float32'), [-1, 1]));
    return tf.reshape(a.transpose ? tf.transpose(values) : values, dequantizeShape(q.shape, a));
  });
}

export const dequantizeInt8Tensorflow = compositeKernel('DequantizeInt8', dequantizeInt8Composite);
