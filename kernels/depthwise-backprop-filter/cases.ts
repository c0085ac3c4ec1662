import { DepthwiseConv2dNativeBackpropFilter, type NamedAttrMap } from '@tensorflow/tfjs';
import { convGeometry } from '../conv-geometry.js';
import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { depthwiseBackpropFilterRef } from './reference.js';

/** [name, xShape, filterShape [FH, FW, C, M], strides, pad]: vector path (M = 1, C ≥ 4), scalar tails, M > 1. */
export const DEPTHWISE_SHAPES: Array<[string, number[], number[], number | [number, number], NamedAttrMap['pad']]> = [
  ['3x3 same c8', [2, 7, 7, 8], [3, 3, 8, 1], 1, 'same'],
  ['3x3 stride 2 valid c6', [2, 9, 8, 6], [3, 3, 6, 1], 2, 'valid'],
  ['multiplier 2 c3', [1, 6, 5, 3], [3, 3, 3, 2], 1, 'same'],
  ['5x5 stride [1,2] pad 2 c5', [2, 8, 9, 5], [5, 5, 5, 1], [1, 2], 2],
];

export const depthwiseBackpropFilterSuite: KernelSuite = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  tolerance: 1e-5,
  cases: () => DEPTHWISE_SHAPES.map(([name, xShape, filterShape, strides, pad], i): KernelCase => {
    const rand = seeded(300 + i);
    const g = convGeometry({ op: 'cases', xShape, filterShape, strides, pad: pad as 'same', depthwise: true });
    return {
      name,
      inputs: { x: randomFloat(xShape, rand), dy: randomFloat([g.B, g.OH, g.OW, g.Co], rand) },
      attrs: { strides, pad, dilations: 1, dimRoundingMode: undefined, filterShape } as unknown as NamedAttrMap,
    };
  }),
  reference: (c) => {
    const a = c.attrs as { filterShape: number[]; strides: number; pad: 'same' };
    const g = convGeometry({ op: 'reference', xShape: c.inputs.x!.shape, ...a, depthwise: true });
    return { shape: a.filterShape, dtype: 'float32', values: depthwiseBackpropFilterRef(c.inputs.x!.values, c.inputs.dy!.values, g) };
  },
};
