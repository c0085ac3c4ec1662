import * as tf from '@tensorflow/tfjs';
import { dequantizeInt8, DequantizeInt8 } from '../../kernels/dequantize-int8/index.js';
import { ensureKernel } from './execution.js';
import type { InputQuant } from './format.js';
import { ACTIVATION_RANGE } from './quantize-input.js';

/**
 * The float-op fallback of the int8 layers, for backends without int8 kernels (webgpu, webgl): same quantization
 * grid, float accumulation. No value is read back to the CPU, so it stays asynchronous on GPUs.
 */

/**
 * int32 [N, ceil(K/4)] packed int8 rows → float32 [N, K]. Only `mod`, subtraction and divisions of exact
 * multiples are used: tfjs-backend-wasm's floorDiv goes through float32 and is wrong for large int32 words.
 */
export function unpackRowsTf(packed: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, words] = packed.shape;
    const m1 = tf.mod(packed, tf.scalar(256, 'int32'));
    const m2 = tf.mod(packed, tf.scalar(65536, 'int32'));
    const m3 = tf.mod(packed, tf.scalar(16777216, 'int32'));
    const signed = (b: tf.Tensor) => tf.sub(b, tf.mul(tf.cast(tf.greaterEqual(b, 128), 'float32'), 256));
    const b0 = signed(tf.cast(m1, 'float32'));
    const b1 = signed(tf.div(tf.cast(tf.sub(m2, m1), 'float32'), 256));
    const b2 = signed(tf.div(tf.cast(tf.sub(m3, m2), 'float32'), 65536));
    const b3 = tf.div(tf.cast(tf.sub(packed, m3), 'float32'), 16777216);
    const lanes = tf.stack([b0, b1, b2, b3], 2).reshape([n, words * 4]);
    return tf.slice(lanes, [0, 0], [n, k]) as tf.Tensor2D;
  });
}

/**
 * Weights as float: unpacked int8 rows minus zero points, times per-channel scales. [N, K]. On the DequantizeInt8
 * kernel where the backend has one (webgpu's int32 `mod` goes through float32 too), else with tf ops.
 */
export function dequantizeRowsTf(o: { packed: tf.Tensor2D; k: number; scale: tf.Tensor1D; zeroPoint?: tf.Tensor1D }): tf.Tensor2D {
  if (ensureKernel(DequantizeInt8)) {
    return dequantizeInt8({ q: o.packed, k: o.k, scale: o.scale, zeroPoint: o.zeroPoint }) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    let q: tf.Tensor = unpackRowsTf(o.packed, o.k);
    if (o.zeroPoint) q = tf.sub(q, tf.expandDims(tf.cast(o.zeroPoint, 'float32'), 1));
    return tf.mul(q, tf.expandDims(o.scale, 1)) as tf.Tensor2D;
  });
}

/** dequantize(quantize(x)) with frozen parameters (static) or the batch's own min/max (dynamic). */
export function fakeQuantInputTf(x: tf.Tensor, quant: InputQuant | null | undefined): tf.Tensor {
  return tf.tidy(() => {
    const { qmin, qmax } = ACTIVATION_RANGE;
    let scale: tf.Tensor | number;
    let zeroPoint: tf.Tensor | number;
    if (quant) {
      scale = quant.scale;
      zeroPoint = quant.zeroPoint;
    } else {
      const lo = tf.minimum(tf.min(x), 0);
      const hi = tf.maximum(tf.max(x), 0);
      scale = tf.where(tf.greater(hi, lo), tf.div(tf.sub(hi, lo), qmax - qmin), tf.onesLike(hi));
      zeroPoint = tf.clipByValue(tf.round(tf.sub(qmin, tf.div(lo, scale))), qmin, qmax);
    }
    const q = tf.clipByValue(tf.add(tf.round(tf.div(x, scale)), zeroPoint), qmin, qmax);
    return tf.mul(tf.sub(q, zeroPoint), scale);
  });
}
