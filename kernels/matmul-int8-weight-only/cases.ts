import { packInt8 } from '../../src/core/numerics.js';
import { randomFloat, randomInt, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { MatMulInt8WeightOnly } from './index.js';
import { matMulInt8WeightOnlyRef } from './reference.js';

/** [name, M, N, K, with bias]: K tails, N not a multiple of the 8 channels a workgroup takes. */
const SHAPES: Array<[string, number, number, number, boolean]> = [
  ['batch 1, k 16', 1, 8, 16, false],
  ['batch 1, odd k 13, bias', 1, 5, 13, true],
  ['batch 1, k 400 (lenet fc1), n 21', 1, 21, 400, true],
  ['batch 3, k 130', 3, 9, 130, true],
  ['batch 6 (two 4-row groups), k 21', 6, 10, 21, false],
];

export const matMulInt8WeightOnlySuite: KernelSuite = {
  kernelName: MatMulInt8WeightOnly,
  // float32 sums in another order than the double-precision reference: a few ulps of the output.
  tolerance: 2e-5,
  cases: () => SHAPES.map(([name, m, n, k, withBias], i): KernelCase => {
    const rand = seeded(1300 + i);
    const wScale = randomFloat([n], rand, 0.01);
    wScale.values = wScale.values.map(Math.abs);
    const inputs: KernelCase['inputs'] = {
      x: randomFloat([m, k], rand),
      w: { shape: [n, Math.ceil(k / 4)], dtype: 'int32', values: packInt8(randomInt([n, k], rand, -127, 127), { rowLength: k }) },
      wScale,
    };
    if (withBias) inputs.bias = randomFloat([n], rand);
    return { name, inputs, attrs: {} };
  }),
  reference: (c) => {
    const { x, w, wScale, bias } = c.inputs;
    const m = x!.shape[0]!, k = x!.shape[1]!, n = w!.shape[0]!;
    return { shape: [m, n], dtype: 'float32', values: matMulInt8WeightOnlyRef({ x: x!.values, w: w!.values, m, n, k,
      wScale: wScale!.values, bias: bias?.values }) };
  },
};
