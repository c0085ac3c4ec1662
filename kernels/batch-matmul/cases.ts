import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { matMulTNRef } from './reference.js';

/**
 * [name, M, K, N, transposeA, transposeB]: the 4×8 blocks, their tails, LeNet-5's fc1 gradients (weights xᵀ·dy,
 * input dy·Wᵀ); one delegated case.
 */
const SHAPES: Array<[string, number, number, number, boolean, boolean]> = [
  ['fc1 dW: xᵀ·dy, k 32 (batch), m 400, n 120', 400, 32, 120, true, false],
  ['fc1 dx: dy·Wᵀ, m 32 (batch), k 120, n 400', 32, 120, 400, false, true],
  ['A·B tails m 7 k 5 n 13', 7, 5, 13, false, false],
  ['Aᵀ·B tails m 7 k 5 n 13', 7, 5, 13, true, false],
  ['A·Bᵀ n < 8: m 6 k 9 n 3', 6, 9, 3, false, true],
  ['transposeA and transposeB (delegated)', 5, 6, 4, true, true],
];

/** The [rows, cols] matrix `v` transposed. */
function transposed(v: ArrayLike<number>, rows: number, cols: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => v[(i % rows) * cols + Math.floor(i / rows)]!);
}

export const batchMatMulSuite: KernelSuite = {
  kernelName: 'BatchMatMul',
  tolerance: 0,
  backends: ['wasm'], // the cpu backend's BatchMatMul is its own (blocked, another summation order)
  cases: () => SHAPES.map(([name, M, K, N, transposeA, transposeB], i): KernelCase => {
    const rand = seeded(2400 + i);
    return { name, inputs: { a: randomFloat(transposeA ? [K, M] : [M, K], rand), b: randomFloat(transposeB ? [N, K] : [K, N], rand) },
      attrs: { transposeA, transposeB } };
  }),
  // Every case as Aᵀ·B: transposing an operand only moves values, so the plain k-order loop stays the reference.
  reference: (c) => {
    const ta = c.attrs.transposeA as boolean, tb = c.attrs.transposeB as boolean;
    const [ar, ac] = c.inputs.a!.shape as [number, number];
    const [M, K] = ta ? [ac, ar] : [ar, ac];
    const N = c.inputs.b!.shape[tb ? 0 : 1]!;
    const a = ta ? c.inputs.a!.values : transposed(c.inputs.a!.values, M, K);
    const b = tb ? transposed(c.inputs.b!.values, N, K) : c.inputs.b!.values;
    return { shape: [M, N], dtype: 'float32', values: matMulTNRef(a, b, K, M, N) };
  },
};
