import * as tf from '@tensorflow/tfjs';
import { compositeKernel } from '../tensorflow/composite.js';

/** ChannelMinMax from tf ops: NaN replaced by the neutral value of each reduction; adding 0 turns -0 into 0. */
export function channelMinMaxComposite(inputs: Record<string, tf.Tensor>): tf.Tensor {
  const { x } = inputs as { x: tf.Tensor };
  return tf.tidy(() => {
    const channels = x.shape[x.rank - 1] ?? 1;
    const m = tf.reshape(x, [-1, channels]);
    const nan = tf.isNaN(m);
    const fill = (v: number) => tf.fill(m.shape, v);
    const zero = tf.scalar(0);
    if (m.shape[0] === 0) return tf.stack([tf.fill([channels], Infinity), tf.fill([channels], -Infinity), tf.zeros([channels])]);
    const mn = tf.add(tf.min(tf.where(nan, fill(Infinity), m), 0), zero);
    const mx = tf.add(tf.max(tf.where(nan, fill(-Infinity), m), 0), zero);
    const am = tf.max(tf.where(nan, tf.zerosLike(m), tf.abs(m)), 0);
    return tf.stack([mn, mx, am]);
  });
}

export const channelMinMaxTensorflow = compositeKernel('ChannelMinMax', channelMinMaxComposite);
