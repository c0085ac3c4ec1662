import { Conv2DBackpropFilter, type NamedAttrMap } from '@tensorflow/tfjs';
import { convGeometry } from '../conv-geometry.js';
import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { conv2dBackpropFilterRef } from './reference.js';

/** [name, xShape, filterShape, strides, pad]: odd sizes, every register-block path (ci 1/4, co 8/4/scalar), batch < 4 and ≥ 4. */
export const CONV_GRAD_SHAPES: Array<[string, number[], number[], number | [number, number], NamedAttrMap['pad']]> = [
  ['lenet conv1 same', [2, 12, 12, 1], [5, 5, 1, 6], 1, 'same'],
  ['lenet conv2 valid', [2, 14, 14, 6], [5, 5, 6, 16], 1, 'valid'],
  ['odd 3x3 stride 2 same', [3, 9, 7, 5], [3, 3, 5, 13], 2, 'same'],
  ['stride [2,3] valid', [1, 11, 10, 4], [3, 2, 4, 4], [2, 3], 'valid'],
  ['explicit pad 1', [2, 6, 5, 9], [3, 3, 9, 3], 1, 1],
  ['1x1 conv', [2, 5, 5, 8], [1, 1, 8, 12], 1, 'valid'],
  ['filter larger than stride, same, stride 3', [1, 10, 10, 3], [4, 4, 3, 7], 3, 'same'],
  // 5 images: the input gradient's 4-image groups and a single one (kernel threads split them 3 + 2).
  ['first layer, 5 images', [5, 9, 9, 1], [5, 5, 1, 6], 1, 'same'],
  ['stride 2, 5 images', [5, 7, 6, 5], [3, 3, 5, 4], 2, 'same'],
  // 1 and 2 output channels: padChannels' vector path stops rows before the end (a row's block reads past it).
  ['one output channel', [2, 5, 5, 2], [3, 3, 2, 1], 1, 'valid'],
  ['two output channels', [3, 4, 4, 1], [2, 2, 1, 2], 1, 'same'],
];

export const conv2dBackpropFilterSuite: KernelSuite = {
  kernelName: Conv2DBackpropFilter,
  tolerance: 1e-5,
  cases: () => CONV_GRAD_SHAPES.map(([name, xShape, filterShape, strides, pad], i): KernelCase => {
    const rand = seeded(100 + i);
    const g = convGeometry({ op: 'cases', xShape, filterShape, strides, pad: pad as 'same' });
    return {
      name,
      inputs: { x: randomFloat(xShape, rand), dy: randomFloat([g.B, g.OH, g.OW, g.Co], rand) },
      attrs: { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape } as unknown as NamedAttrMap,
    };
  }),
  reference: (c) => {
    const a = c.attrs as { filterShape: number[]; strides: number; pad: 'same' };
    const g = convGeometry({ op: 'reference', xShape: c.inputs.x!.shape, ...a });
    return { shape: a.filterShape, dtype: 'float32', values: conv2dBackpropFilterRef(c.inputs.x!.values, c.inputs.dy!.values, g) };
  },
};
