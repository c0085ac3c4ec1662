import * as tf from '@tensorflow/tfjs';
import { compositeKernel } from '../tensorflow/composite.js';
import { exactIntMatMul, unpackBytes } from '../tensorflow/int8-ops.js';

/**
 * MatMulInt8 from tf ops: unpack both operands, remove zero points in int32, an exact integer product
 * (exactIntMatMul: float32 matMul on split operands), then f32(acc) · f32(sA · sW[n]) + bias like the reference.
 */
export function matMulInt8Composite(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const { a, w, wScale, bias, wZeroPoint } = inputs as Record<string, tf.Tensor | undefined>;
  const { k, aScale, aZeroPoint } = attrs as { k: number; aScale: number; aZeroPoint: number };
  return tf.tidy(() => {
    const m = a!.shape[0]!, n = w!.shape[0]!;
    const ab = tf.sub(tf.slice(unpackBytes(a!), [0, 0], [m, k]), tf.scalar(aZeroPoint, 'int32')) as tf.Tensor2D;
    let wb = tf.slice(unpackBytes(w!), [0, 0], [n, k]) as tf.Tensor2D;
    if (wZeroPoint) wb = tf.sub(wb, tf.reshape(tf.cast(wZeroPoint, 'int32'), [n, 1]));
    const acc = exactIntMatMul(ab, wb);
    const y = tf.mul(tf.cast(acc, 'float32'), tf.mul(tf.scalar(Math.fround(aScale)), wScale!));
    return tf.add(y, bias ?? tf.scalar(0));
  });
}

export const matMulInt8Tensorflow = compositeKernel('MatMulInt8', matMulInt8Composite);
