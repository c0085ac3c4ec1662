import type { DepthwiseConv2dNativeBackpropInputAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { DepthwiseConv2dNativeBackpropInput } from '@tensorflow/tfjs';
import { convArgs, convGeometry } from '../conv-geometry.js';
import { kernelsFor, ptr, type WasmBackendLike } from '../wasm/loader.js';
import type { KernelArgs, KernelSpec } from '../types.js';

/** Zero-copy: reads dy and the filter, writes dx in the backend's heap. */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const g = convGeometry({ op: 'depthwise-backprop-input', xShape: a.inputShape, filterShape: filter.shape,
    strides: a.strides, pad: a.pad, dimRoundingMode: a.dimRoundingMode, dilations: a.dilations, depthwise: true });
  const out = b.makeOutput(a.inputShape, 'float32');
  kernelsFor(b).depthwiseBackpropInput(ptr(b, dy), ptr(b, filter), ptr(b, out), ...convArgs(g, true));
  return out;
}) as unknown as KernelFunc;

export const depthwiseBackpropInputWasm: KernelSpec = {
  kernelName: DepthwiseConv2dNativeBackpropInput, backendName: 'wasm', kernelFunc,
};
