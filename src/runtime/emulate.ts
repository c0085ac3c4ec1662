import * as tf from '@tensorflow/tfjs';
import { dequantizeInt8, DequantizeInt8 } from '../../kernels/dequantize-int8/index.js';
import { unpackInt8 } from '../core/numerics.js';
import { ensureKernel } from './execution.js';
import type { InputQuant } from './format.js';
import { ACTIVATION_RANGE } from './quantize-input.js';

/**
 * The float-op fallback of the int8 layers, for backends without int8 kernels (webgpu, webgl): same quantization
 * grid, float accumulation. Only the constant weights are read on the CPU (once); activations never are, so it
 * stays asynchronous on GPUs.
 */

const unpacked = new WeakMap<object, Float32Array>();

/**
 * int32 [N, ceil(K/4)] packed int8 rows → float32 [N, K], unpacked on the CPU by the reference unpacker, once per
 * weight tensor (cached by its dataId, so reassigned weights are unpacked again). Not with tf ops: WebGL holds int32
 * as float32, so a word ≥ 2^24 loses its low bits when uploaded (mod(0x7f7f7f7f, 256) is 128 there), and
 * tfjs-backend-wasm's floorDiv goes through float32 too. The weights are constant and only this layer reads them,
 * so dataSync sees the exact words before anything uploads them; the unpacked codes (|q| ≤ 128) are exact floats.
 */
export function unpackRowsTf(packed: tf.Tensor2D, k: number): tf.Tensor2D {
  let codes = unpacked.get(packed.dataId);
  if (!codes) {
    codes = Float32Array.from(unpackInt8(packed.dataSync() as Int32Array, { rowLength: k }));
    unpacked.set(packed.dataId, codes);
  }
  return tf.tensor2d(codes, [packed.shape[0], k]);
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
