import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { matMulTNRef } from './reference.js';

/** [name, K, M, N, transposeB]: the 4×8 blocks, their tails, LeNet-5's fc1 weight gradient; one delegated case. */
const SHAPES: Array<[string, number, number, number, boolean]> = [
  ['fc1 dW: xᵀ·dy, k 32 (batch), m 400, n 120', 32, 400, 120, false],
  ['tails m 7 n 13 k 5', 5, 7, 13, false],
  ['n < 8: m 6 n 3', 9, 6, 3, false],
  ['transposeA and transposeB (delegated)', 6, 5, 4, true],
];

export const batchMatMulSuite: KernelSuite = {
  kernelName: 'BatchMatMul',
  tolerance: 0,
  backends: ['wasm'], // the cpu backend's BatchMatMul is its own (blocked, another summation order)
  cases: () => SHAPES.map(([name, K, M, N, transposeB], i): KernelCase => {
    const rand = seeded(2400 + i);
    return { name, inputs: { a: randomFloat([K, M], rand), b: randomFloat(transposeB ? [N, K] : [K, N], rand) },
      attrs: { transposeA: true, transposeB } };
  }),
  reference: (c) => {
    const [K, M] = c.inputs.a!.shape as [number, number];
    const tb = c.attrs.transposeB as boolean;
    const N = c.inputs.b!.shape[tb ? 0 : 1]!;
    let b = c.inputs.b!.values;
    if (tb) b = Float32Array.from({ length: K * N }, (_, i) => c.inputs.b!.values[(i % N) * K + Math.floor(i / N)]!);
    return { shape: [M, N], dtype: 'float32', values: matMulTNRef(c.inputs.a!.values, b, K, M, N) };
  },
};
