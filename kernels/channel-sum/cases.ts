import type { NamedAttrMap } from '@tensorflow/tfjs';
import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { reduceSumRef } from './reference.js';

/** [name, shape, axes, keepDims]: channel blocks of 4/16 with partial tails (the last row read lane by lane); one delegated. */
const SHAPES: Array<[string, number[], number[], boolean]> = [
  ['BatchNorm [4,5,5,6] over [0,1,2], keepDims', [4, 5, 5, 6], [0, 1, 2], true],
  ['[3,4,16] over [0,1]', [3, 4, 16], [0, 1], false],
  ['[7,5] over 0 (tail of 1)', [7, 5], [0], false],
  ['[2,3,37] over [-3,-2] (16 + 16 + 5)', [2, 3, 37], [-3, -2], true],
  ['[3,8] over 1 (innermost: delegated)', [3, 8], [1], false],
  ['[3,8] over every axis (axis null: delegated)', [3, 8], [], false],
];

function suite(kernelName: 'Sum' | 'Mean', seed: number): KernelSuite {
  return {
    kernelName,
    tolerance: 0,
    backends: ['wasm'], // the cpu backend sums in float64
    cases: () => SHAPES.map(([name, shape, axis, keepDims], j): KernelCase => ({
      name, inputs: { x: randomFloat(shape, seeded(seed + j), 3) }, attrs: { axis: axis.length ? axis : null, keepDims } as unknown as NamedAttrMap,
    })),
    reference: (c) => {
      const x = c.inputs.x!, axis = (c.attrs.axis as number[] | null) ?? x.shape.map((_, i) => i);
      return { dtype: 'float32', ...reduceSumRef(x, axis, kernelName === 'Mean', c.attrs.keepDims as boolean) };
    },
  };
}

export const channelSumSuites: KernelSuite[] = [suite('Sum', 2600), suite('Mean', 2700)];
