import * as tf from '@tensorflow/tfjs';
import { compositeKernel } from '../tensorflow/composite.js';
import { unpackBytes } from '../tensorflow/int8-ops.js';
import type { Conv2DInt8Attrs } from './index.js';

/**
 * Conv2DInt8 from tf ops. tf.conv2d is float-only, so the activations (x - zA, in [-255, 255]) split into
 * 16·hi + lo with lo in [0, 15]: each float conv (over chunks of channels) then sums integers below 2^24, exact in any
 * order, and the int32 accumulator is 16·hi + lo. Zero padding of x - zA is real 0, as the spec says.
 */
export function conv2dInt8Composite(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const { x, w, wScale, bias } = inputs as { x: tf.Tensor4D; w: tf.Tensor2D; wScale: tf.Tensor1D; bias?: tf.Tensor1D };
  const a = attrs as unknown as Conv2DInt8Attrs;
  const [fh, fw, ci, co] = a.filterShape;
  return tf.tidy(() => {
    const [b, h, width] = x.shape;
    const xb = tf.sub(tf.slice(unpackBytes(x), [0, 0, 0, 0], [b, h, width, ci]), tf.scalar(a.aZeroPoint, 'int32'));
    const k = fh * fw * ci;
    const filter = tf.transpose(tf.reshape(tf.cast(tf.slice(unpackBytes(w), [0, 0], [co, k]), 'float32'), [co, fh, fw, ci]), [1, 2, 3, 0]) as tf.Tensor4D;
    const sixteen = tf.scalar(16, 'int32');
    // Channel chunks keep every float partial sum below 2^24: |lo·w| ≤ 15·128, |hi·w| ≤ 16·128 per tap.
    const chunk = Math.max(1, Math.floor(8192 / (fh * fw)));
    let acc: tf.Tensor | undefined;
    for (let c0 = 0; c0 < ci; c0 += chunk) {
      const size = Math.min(chunk, ci - c0);
      const xc = tf.slice(xb, [0, 0, 0, c0], [-1, -1, -1, size]);
      const fc = tf.slice(filter, [0, 0, c0, 0], [-1, -1, size, -1]) as tf.Tensor4D;
      const conv = (t: tf.Tensor) => tf.cast(tf.conv2d(tf.cast(t, 'float32') as tf.Tensor4D, fc, a.strides,
        a.pad as 'same'), 'int32');
      const part = tf.add(tf.mul(conv(tf.floorDiv(xc, sixteen)), sixteen), conv(tf.mod(xc, sixteen)));
      acc = acc ? tf.add(acc, part) : part;
    }
    const y = tf.mul(tf.cast(acc!, 'float32'), tf.mul(tf.scalar(Math.fround(a.aScale)), wScale));
    return bias ? tf.add(y, bias) : tf.add(y, tf.scalar(0));
  });
}

export const conv2dInt8Tensorflow = compositeKernel('Conv2DInt8', conv2dInt8Composite);
