import { packInt8 } from '../../src/core/numerics.js';
import { randomFloat, randomInt, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite, TensorData } from '../types.js';
import { MatMulInt8, matMulInt8Ref } from './index.js';

/** [name, M, N, K, aZeroPoint, with bias, with weight zero points]: K tails of 0..7 bytes, M and N block tails. */
const SHAPES: Array<[string, number, number, number, number, boolean, boolean]> = [
  ['batch 1, k 16', 1, 8, 16, 0, false, false],
  ['batch 1, odd k 13', 1, 5, 13, -7, true, false],
  ['4x2 blocks, k 150', 8, 6, 150, 3, true, false],
  ['tails m 7 n 7 k 33', 7, 7, 33, -128, true, true],
  ['k 1', 5, 3, 1, 127, false, true],
  ['k 400 (lenet fc1)', 6, 11, 400, 12, true, false],
];

function int32(shape: number[], values: Int32Array): TensorData {
  return { shape, dtype: 'int32', values };
}

export const matMulInt8Suite: KernelSuite = {
  kernelName: MatMulInt8,
  tolerance: 0,
  cases: () => SHAPES.map(([name, m, n, k, aZeroPoint, withBias, withZw], i): KernelCase => {
    const rand = seeded(500 + i);
    const words = Math.ceil(k / 4);
    const inputs: KernelCase['inputs'] = {
      a: int32([m, words], packInt8(randomInt([m, k], rand, -128, 127), { rowLength: k })),
      // Weights in the narrow range, as the spec makes them.
      w: int32([n, words], packInt8(randomInt([n, k], rand, -127, 127), { rowLength: k })),
      wScale: randomFloat([n], rand, 0.05),
    };
    inputs.wScale!.values = inputs.wScale!.values.map(Math.abs);
    if (withBias) inputs.bias = randomFloat([n], rand);
    if (withZw) inputs.wZeroPoint = int32([n], randomInt([n], rand, -3, 3));
    return { name, inputs, attrs: { k, aScale: 0.0173, aZeroPoint } };
  }),
  reference: (c) => {
    const { a, w, wScale, bias, wZeroPoint } = c.inputs;
    const { k, aScale, aZeroPoint } = c.attrs as { k: number; aScale: number; aZeroPoint: number };
    const m = a!.shape[0]!, n = w!.shape[0]!;
    return {
      shape: [m, n], dtype: 'float32',
      values: matMulInt8Ref({ a: a!.values, w: w!.values, m, n, k, aScale, aZeroPoint, wScale: wScale!.values,
        bias: bias?.values, wZeroPoint: wZeroPoint?.values }),
    };
  },
};
