import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { BINARY_OPS, broadcastBinaryRef, type BinaryOp } from './reference.js';

/** [name, a shape, b shape]: per-channel both ways round, vector tails (6 and 5 channels); scalars and two more delegated. */
const SHAPES: Array<[string, number[], number[]]> = [
  ['[1,1,1,6] with [4,5,5,6] (BatchNorm)', [1, 1, 1, 6], [4, 5, 5, 6]],
  ['[4,5,5,6] with [1,1,1,6]', [4, 5, 5, 6], [1, 1, 1, 6]],
  ['[3,4,16] with [16]', [3, 4, 16], [16]],
  ['[7,5] with [1,5] (tail: 35 not a multiple of lcm(5, 4))', [7, 5], [1, 5]],
  ['scalar first (delegated)', [], [5, 7]],
  ['[5,7] with [1,1] (delegated)', [5, 7], [1, 1]],
  ['[3,1] with [1,4] (both broadcast: delegated)', [3, 1], [1, 4]],
  ['same shape (delegated)', [4, 6], [4, 6]],
];

function suite(op: BinaryOp, i: number): KernelSuite {
  return {
    kernelName: op,
    tolerance: 0,
    cases: () => SHAPES.map(([name, sa, sb], j): KernelCase => {
      const rand = seeded(2500 + 10 * i + j);
      return { name, inputs: { a: randomFloat(sa, rand), b: randomFloat(sb, rand) }, attrs: {} };
    }),
    reference: (c) => ({ dtype: 'float32', ...broadcastBinaryRef(op, c.inputs.a!, c.inputs.b!) }),
  };
}

export const broadcastBinarySuites: KernelSuite[] = BINARY_OPS.map(suite);
