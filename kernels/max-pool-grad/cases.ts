import { MaxPoolGrad, type NamedAttrMap } from '@tensorflow/tfjs';
import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { poolGeometry } from './geometry.js';
import { maxPoolGradRef } from './reference.js';

/** [name, xShape, filterSize, strides, pad, quantize (creates ties)]. */
const SHAPES: Array<[string, number[], number, number, 'same' | 'valid', boolean]> = [
  ['2x2 c4 (tfjs-wasm bug shape)', [1, 4, 4, 4], 2, 2, 'valid', false],
  ['lenet pool 2x2 c6', [2, 12, 12, 6], 2, 2, 'valid', false],
  ['3x3 stride 2 same odd', [2, 7, 9, 5], 3, 2, 'same', false],
  ['overlapping 3x3 stride 1 with ties', [1, 6, 6, 8], 3, 1, 'same', true],
];

export const maxPoolGradSuite: KernelSuite = {
  kernelName: MaxPoolGrad,
  tolerance: 1e-6,
  cases: () => SHAPES.map(([name, xShape, filterSize, strides, pad, ties], i): KernelCase => {
    const rand = seeded(900 + i);
    const x = randomFloat(xShape, rand);
    if (ties) x.values = x.values.map((v) => Math.max(0, Math.round(v * 2)));
    const g = poolGeometry({ xShape, filterSize, strides, pad });
    const dy = randomFloat([g.B, g.OH, g.OW, g.C], rand);
    // `output` is an input of the kernel (cpu ignores it, so do we); the reference does not need it.
    return { name, inputs: { dy, input: x, output: dy }, attrs: { filterSize, strides, pad, dimRoundingMode: undefined } as unknown as NamedAttrMap };
  }),
  reference: (c) => {
    const a = c.attrs as unknown as { filterSize: number; strides: number; pad: 'same' };
    const g = poolGeometry({ xShape: c.inputs.input!.shape, ...a });
    return { shape: c.inputs.input!.shape, dtype: 'float32', values: maxPoolGradRef(c.inputs.input!.values, c.inputs.dy!.values, g) };
  },
};
