import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite, TensorData } from '../types.js';
import { FusedBatchNormGrad } from './kernels.js';
import { batchNormGradRef } from './reference.js';

/** [name, x shape (channel last), with scale]: SIMD blocks of 4 channels and scalar tails. */
const SHAPES: Array<[string, number[], boolean]> = [
  ['lenet bn1 [4, 6, 6, 6]', [4, 6, 6, 6], true],
  ['16 channels [2, 5, 5, 16]', [2, 5, 5, 16], true],
  ['dense [9, 7], no scale', [9, 7], false],
];

export const batchNormGradSuite: KernelSuite = {
  kernelName: FusedBatchNormGrad,
  tolerance: 0,
  cases: () => SHAPES.map(([name, shape, withScale], i): KernelCase => {
    const rand = seeded(2300 + i);
    const C = shape[shape.length - 1]!;
    const variance = randomFloat([C], rand, 2);
    variance.values = variance.values.map((v) => Math.abs(v) + 0.1);
    const inputs: Record<string, TensorData> = {
      x: randomFloat(shape, rand, 3), dy: randomFloat(shape, rand), mean: randomFloat([C], rand), variance,
    };
    if (withScale) inputs.scale = randomFloat([C], rand, 2);
    return { name, inputs, attrs: { varianceEpsilon: 1e-3 } };
  }),
  // The suite compares one output; the five are concatenated (dx, then dmean, dvariance, dscale, doffset).
  reference: (c) => {
    const { x, dy, mean, variance, scale } = c.inputs;
    const g = batchNormGradRef({ x: x!.values, dy: dy!.values, mean: mean!.values, variance: variance!.values,
      scale: scale?.values, C: x!.shape[x!.shape.length - 1]!, eps: c.attrs.varianceEpsilon as number });
    const all = [g.dx, g.dmean, g.dvariance, g.dscale, g.doffset];
    const values = new Float32Array(all.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of all) { values.set(a, at); at += a.length; }
    return { shape: [values.length], dtype: 'float32', values };
  },
};
