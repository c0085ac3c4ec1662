import { DepthwiseConv2dNativeBackpropInput, type NamedAttrMap } from '@tensorflow/tfjs';
import { DEPTHWISE_SHAPES } from '../depthwise-backprop-filter/cases.js';
import { convGeometry } from '../conv-geometry.js';
import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { depthwiseBackpropInputRef } from './reference.js';

export const depthwiseBackpropInputSuite: KernelSuite = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  tolerance: 1e-5,
  cases: () => DEPTHWISE_SHAPES.map(([name, inputShape, filterShape, strides, pad], i): KernelCase => {
    const rand = seeded(400 + i);
    const g = convGeometry({ op: 'cases', xShape: inputShape, filterShape, strides, pad: pad as 'same', depthwise: true });
    return {
      name,
      inputs: { dy: randomFloat([g.B, g.OH, g.OW, g.Co], rand), filter: randomFloat(filterShape, rand) },
      attrs: { strides, pad, dilations: 1, dimRoundingMode: undefined, inputShape } as unknown as NamedAttrMap,
    };
  }),
  reference: (c) => {
    const a = c.attrs as { inputShape: number[]; strides: number; pad: 'same' };
    const g = convGeometry({ op: 'reference', xShape: a.inputShape, filterShape: c.inputs.filter!.shape, ...a, depthwise: true });
    return { shape: a.inputShape, dtype: 'float32', values: depthwiseBackpropInputRef(c.inputs.dy!.values, c.inputs.filter!.values, g) };
  },
};
