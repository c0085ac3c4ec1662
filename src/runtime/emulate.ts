import * as tf from '@tensorflow/tfjs';
import { dequantizeInt8, DequantizeInt8 } from '../../kernels/dequantize-int8/index.js';
import { unpackInt8 } from '../core/numerics.js';
import { activationCodes, maxActivationCode } from './exact-int8.js';
import { ensureKernel } from './execution.js';
import type { InputQuant } from './format.js';
import { ACTIVATION_RANGE } from './quantize-input.js';

/**
 * The float-op path of the int8 layers, for backends without int8 kernels (webgpu, webgl): integer codes as float32
 * and the kernels' exact arithmetic (./exact-int8.ts), so it equals MatMulInt8 / Conv2DInt8 bit for bit where
 * float32 is IEEE. Only the constant weights are read on the CPU (once, and not at all on webgpu); activations
 * never are, so it stays asynchronous on GPUs.
 */

interface Unpacked { zeroPointId?: object; codes: Float32Array; l1: number }
const unpacked = new WeakMap<object, Unpacked>();

/** Σ|row| maximized over the rows of [N, K]. */
function maxRowL1(codes: Float32Array, k: number): number {
  let best = 0;
  for (let r = 0; r < codes.length; r += k) {
    let s = 0;
    for (let i = r; i < r + k; i++) s += Math.abs(codes[i]!);
    best = Math.max(best, s);
  }
  return best;
}

/**
 * int32 [N, ceil(K/4)] packed int8 rows → q - zW as float32 on the CPU by the reference unpacker, once per weight
 * tensor (cached by dataId, so reassigned weights are unpacked again). Not with tf ops: WebGL holds int32 as
 * float32, so a word ≥ 2^24 loses its low bits when uploaded (mod(0x7f7f7f7f, 256) is 128 there). The weights are
 * constant and only this layer reads them, so dataSync sees the exact words before anything uploads them.
 */
function unpackOnCpu(packed: tf.Tensor2D, k: number, zeroPoint?: tf.Tensor1D): Unpacked {
  let u = unpacked.get(packed.dataId);
  if (!u || u.zeroPointId !== zeroPoint?.dataId) {
    const codes = Float32Array.from(unpackInt8(packed.dataSync() as Int32Array, { rowLength: k }));
    if (zeroPoint) {
      const z = zeroPoint.dataSync();
      for (let i = 0; i < codes.length; i++) codes[i]! -= z[Math.floor(i / k)]!;
    }
    u = { zeroPointId: zeroPoint?.dataId, codes, l1: maxRowL1(codes, k) };
    unpacked.set(packed.dataId, u);
  }
  return u;
}

/**
 * The weights' integer codes q - zW as float32 [N, K] (exact: |q - zW| ≤ 255) and `l1`, a bound on Σ|q - zW| of
 * every row (exactAccumulate's filterL1). webgpu cannot read back synchronously (Node's Dawn refuses), so there the
 * codes come from the DequantizeInt8 kernel with unit scales (its int32 `mod` goes through float32 in tf ops) and
 * the bound from K alone; elsewhere they are unpacked on the CPU and the bound is the true maximum.
 */
export function weightCodesTf(o: { packed: tf.Tensor2D; k: number; zeroPoint?: tf.Tensor1D }): { codes: tf.Tensor2D; l1: number } {
  if (tf.getBackend() === 'webgpu' && ensureKernel(DequantizeInt8)) {
    const ones = tf.ones([o.packed.shape[0]]) as tf.Tensor1D;
    const codes = dequantizeInt8({ q: o.packed, k: o.k, scale: ones, zeroPoint: o.zeroPoint }) as tf.Tensor2D;
    ones.dispose();
    return { codes, l1: o.k * (o.zeroPoint ? 255 : 128) };
  }
  const u = unpackOnCpu(o.packed, o.k, o.zeroPoint);
  return { codes: tf.tensor2d(u.codes, [o.packed.shape[0], o.k]), l1: u.l1 };
}

/**
 * The input's codes q - zA (activationCodes) with frozen parameters (static) or the batch's own min/max (dynamic,
 * computed on the device in float32), the scale they rescale by, and the largest |q - zA| they can hold.
 */
export function inputCodesTf(x: tf.Tensor, quant: InputQuant | null | undefined): { codes: tf.Tensor; scale: number | tf.Tensor; maxCode: number } {
  if (quant) return { codes: activationCodes(x, quant.scale, quant.zeroPoint), scale: quant.scale, maxCode: maxActivationCode(quant.zeroPoint) };
  const { qmin, qmax } = ACTIVATION_RANGE;
  const [scale, zeroPoint] = tf.tidy(() => {
    const lo = tf.minimum(tf.min(x), 0);
    const hi = tf.maximum(tf.max(x), 0);
    const s = tf.where(tf.greater(hi, lo), tf.div(tf.sub(hi, lo), qmax - qmin), tf.onesLike(hi));
    return [s, tf.clipByValue(tf.round(tf.sub(qmin, tf.div(lo, s))), qmin, qmax)];
  });
  const codes = activationCodes(x, scale, zeroPoint);
  zeroPoint.dispose();
  return { codes, scale, maxCode: maxActivationCode() };
}
