import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';
import type { GradientSpec } from '../types.js';

export const FakeQuant = 'FakeQuant';

export interface FakeQuantOptions {
  x: tf.Tensor;
  /** One scale (per tensor) or one per channel of x's last axis. */
  scale: number | number[] | tf.Tensor1D;
  /** Integer zero point(s), same count as scale. */
  zeroPoint?: number | number[] | tf.Tensor1D;
  qmin: number;
  qmax: number;
}

function vector(v: number | number[] | tf.Tensor1D): tf.Tensor1D {
  return v instanceof tf.Tensor ? v : tf.tensor1d(typeof v === 'number' ? [v] : v, 'float32');
}

/**
 * dequantize(quantize(x)) with round-half-even (docs/numerics.md); gradient: clipped straight-through estimator.
 * Inputs of the kernel: x, scale [C], zeroPoint [C] (float32 holding integers, so tfjs accepts zero gradients for it).
 */
export function fakeQuant(o: FakeQuantOptions): tf.Tensor {
  return tf.tidy(() => {
    const scale = vector(o.scale);
    const zeroPoint = vector(o.zeroPoint ?? 0);
    const channels = o.x.shape[o.x.rank - 1] ?? 1;
    if (scale.size !== zeroPoint.size || (scale.size !== 1 && scale.size !== channels)) {
      throw new ShrinkmlError('BAD_INPUT', `kernels/fake-quant: ${scale.size} scales and ${zeroPoint.size} zero points for ${channels} channels`);
    }
    return tf.engine().runKernel(FakeQuant, { x: o.x, scale, zeroPoint: zeroPoint.toFloat() },
      { qmin: o.qmin, qmax: o.qmax }) as tf.Tensor;
  });
}

/** Clipped STE: dx = dy where qmin ≤ x / scale + zeroPoint ≤ qmax (before rounding), else 0. */
export const fakeQuantGradient: GradientSpec = {
  kernelName: FakeQuant,
  inputsToSave: ['x', 'scale', 'zeroPoint'],
  gradFunc: (dy, saved, attrs) => {
    const [x, scale, zeroPoint] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    const { qmin, qmax } = attrs as unknown as { qmin: number; qmax: number };
    const dyT = dy as tf.Tensor;
    return {
      x: () => tf.tidy(() => {
        const r = tf.div(x, scale);
        const inside = tf.logicalAnd(tf.greaterEqual(r, tf.sub(qmin, zeroPoint)), tf.lessEqual(r, tf.sub(qmax, zeroPoint)));
        return tf.mul(dyT, tf.cast(inside, 'float32'));
      }),
      scale: () => tf.zerosLike(scale),
      zeroPoint: () => tf.zerosLike(zeroPoint),
    };
  },
};

export { fakeQuantCpu, fakeQuantWasm } from './kernels.js';
export { fakeQuantRef } from './reference.js';
