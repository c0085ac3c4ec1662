import { Conv2DBackpropInput, type NamedAttrMap } from '@tensorflow/tfjs';
import { CONV_GRAD_SHAPES } from '../conv2d-backprop-filter/cases.js';
import { convGeometry } from '../conv-geometry.js';
import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { conv2dBackpropInputRef } from './reference.js';

export const conv2dBackpropInputSuite: KernelSuite = {
  kernelName: Conv2DBackpropInput,
  tolerance: 1e-5,
  cases: () => CONV_GRAD_SHAPES.map(([name, inputShape, filterShape, strides, pad], i): KernelCase => {
    const rand = seeded(200 + i);
    const g = convGeometry({ op: 'cases', xShape: inputShape, filterShape, strides, pad: pad as 'same' });
    return {
      name,
      inputs: { dy: randomFloat([g.B, g.OH, g.OW, g.Co], rand), filter: randomFloat(filterShape, rand) },
      attrs: { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape } as unknown as NamedAttrMap,
    };
  }),
  reference: (c) => {
    const a = c.attrs as { inputShape: number[]; strides: number; pad: 'same' };
    const g = convGeometry({ op: 'reference', xShape: a.inputShape, filterShape: c.inputs.filter!.shape, ...a });
    return { shape: a.inputShape, dtype: 'float32', values: conv2dBackpropInputRef(c.inputs.dy!.values, c.inputs.filter!.values, g) };
  },
};
