import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_RANGE } from './quantize-input.js';

/**
 * The int8 kernels' arithmetic (docs/numerics.md "Integer matmul / conv", "Requantization") in float32 tfjs ops,
 * for backends without int8 kernels (webgl, webgpu): shared by the int8 graph ops' composite (graph-ops.ts) and the
 * int8 Layers' emulated path (emulate.ts, ops.ts). Codes travel as integer-valued float32, so nothing relies on
 * int32 (WebGL holds int32 as float32); each step rounds where the kernels round, so on IEEE float32 backends
 * (cpu, wasm, SwiftShader WebGL) the result equals the kernels bit for bit. Summing dequantized values in float
 * instead rounds y differently, and a y within an ulp of a half-step of the next grid flips a code (6.5e-3 in a
 * probability of a real model).
 */

/** Integers up to 2^24 are exact in float32, so are sums that never leave that range. */
const EXACT = 2 ** 24;

/**
 * q - zeroPoint of quantizeValue (src/core/numerics.ts): f32(x / scale) rounded half to even (tf.round on every
 * backend), NaN → 0 (the zero point), clamped to the codes' range. Integer-valued float32, |c| ≤ 255. Scale and
 * zero point are numbers (static) or scalars on the device (dynamic mode).
 */
export function activationCodes(x: tf.Tensor, scale: number | tf.Tensor, zeroPoint: number | tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { qmin, qmax } = ACTIVATION_RANGE;
    const r = tf.round(tf.div(x, scale));
    // NaN before the clamp: clipByValue keeps NaN on cpu and webgl but gives the lower bound on wasm.
    const t = tf.where(tf.isNaN(r), tf.zerosLike(r), r);
    if (typeof zeroPoint === 'number') return tf.clipByValue(t, qmin - zeroPoint, qmax - zeroPoint);
    return tf.minimum(tf.maximum(t, tf.sub(qmin, zeroPoint)), tf.sub(qmax, zeroPoint));
  });
}

/** The largest |q - zeroPoint| of an activation code for a (static) zero point; 255 bounds every zero point. */
export function maxActivationCode(zeroPoint?: number): number {
  const { qmin, qmax } = ACTIVATION_RANGE;
  return zeroPoint === undefined ? qmax - qmin : Math.max(qmax - zeroPoint, zeroPoint - qmin);
}

/**
 * f32 of the exact accumulator Σ c · w, where `accOf` is a float32 matMul / conv of integer codes `c` (|c| ≤ maxCode)
 * by an integer filter whose output channels have Σ|w| ≤ filterL1. Every partial sum is then at most
 * maxCode · filterL1, so while that is within 2^24 one float32 product is exact in any summation order. Past it the
 * codes split into digits, c = 16 · hi + lo with hi in [-16, 15] and lo in [0, 15], each product exact, and
 * 16 · acc_hi + acc_lo is one rounding of the exact sum: f32(acc), as the kernels (exact while 16 · filterL1 ≤ 2^24,
 * so for any int8 filter with fewer than 8257 taps per channel; past that the sums round: close, not exact).
 */
export function exactAccumulate(c: tf.Tensor, o: { maxCode: number; filterL1: number; accOf: (c: tf.Tensor) => tf.Tensor }): tf.Tensor {
  return tf.tidy(() => {
    if (o.maxCode * o.filterL1 <= EXACT) return o.accOf(c);
    const hi = tf.floor(tf.div(c, 16));
    return tf.add(tf.mul(o.accOf(hi), 16), o.accOf(tf.sub(c, tf.mul(hi, 16))));
  });
}

/**
 * y = f32(f32(acc) · f32(sA · sW[n])) + bias[n]: the kernels' rescale, sA · sW[n] one float32 product per output
 * channel (the last axis of acc).
 */
export function rescaleAccumulator(acc: tf.Tensor, o: { aScale: number | tf.Tensor; wScale: tf.Tensor; bias?: tf.Tensor }): tf.Tensor {
  return tf.tidy(() => {
    // + 0 without a bias, as the reference: an integer zero is +0, a float sum of 0 · negative codes is -0.
    return tf.add(tf.mul(acc, tf.mul(o.wScale, o.aScale)), o.bias ?? 0);
  });
}
