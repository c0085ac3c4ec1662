import { packInt8 } from '../../src/core/numerics.js';
import { convGeometry } from '../conv-geometry.js';
import { randomFloat, randomInt, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { Conv2DInt8, type Conv2DInt8Attrs } from './index.js';
import { conv2dInt8Ref } from './reference.js';

/** [name, xShape, filterShape, strides, pad, aZeroPoint]. */
const SHAPES: Array<[string, number[], [number, number, number, number], number, Conv2DInt8Attrs['pad'], number]> = [
  ['lenet conv1 same', [2, 8, 8, 1], [5, 5, 1, 6], 1, 'same', -20],
  ['lenet conv2 valid', [1, 10, 10, 6], [5, 5, 6, 16], 1, 'valid', 5],
  ['odd stride 2 same', [2, 7, 9, 5], [3, 3, 5, 7], 2, 'same', -128],
  ['cin 9 co 17, no bias', [1, 6, 5, 9], [3, 2, 9, 17], 1, 'same', 0],
];

export const conv2dInt8Suite: KernelSuite = {
  kernelName: Conv2DInt8,
  tolerance: 0,
  cases: () => SHAPES.map(([name, xShape, filterShape, strides, pad, aZeroPoint], i): KernelCase => {
    const rand = seeded(600 + i);
    const [fh, fw, ci, co] = filterShape;
    const K = fh * fw * ci;
    const pixels = xShape[0]! * xShape[1]! * xShape[2]!;
    const wScale = randomFloat([co], rand, 0.05);
    wScale.values = wScale.values.map(Math.abs);
    return {
      name,
      inputs: {
        x: { shape: [...xShape.slice(0, 3), Math.ceil(ci / 4)], dtype: 'int32',
          values: packInt8(randomInt([pixels, ci], rand, -128, 127), { rowLength: ci }) },
        w: { shape: [co, Math.ceil(K / 4)], dtype: 'int32', values: packInt8(randomInt([co, K], rand, -127, 127), { rowLength: K }) },
        wScale,
        ...(name.endsWith('no bias') ? {} : { bias: randomFloat([co], rand) }),
      },
      attrs: { filterShape, strides, pad, aScale: 0.021, aZeroPoint } as unknown as KernelCase['attrs'],
    };
  }),
  reference: (c) => {
    const a = c.attrs as unknown as Conv2DInt8Attrs;
    const xs = c.inputs.x!.shape;
    const g = convGeometry({ op: 'cases', xShape: [xs[0]!, xs[1]!, xs[2]!, a.filterShape[2]], filterShape: a.filterShape,
      strides: a.strides, pad: a.pad });
    return {
      shape: [g.B, g.OH, g.OW, g.Co], dtype: 'float32',
      values: conv2dInt8Ref({ x: c.inputs.x!.values, w: c.inputs.w!.values, g, aScale: a.aScale, aZeroPoint: a.aZeroPoint,
        wScale: c.inputs.wScale!.values, bias: c.inputs.bias?.values }),
    };
  },
};
