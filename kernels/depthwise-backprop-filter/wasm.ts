import type { DepthwiseConv2dNativeBackpropFilterAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { DepthwiseConv2dNativeBackpropFilter } from '@tensorflow/tfjs';
import { convArgs, convGeometry } from '../conv-geometry.js';
import { kernelsFor, ptr, type WasmBackendLike } from '../wasm/loader.js';
import type { KernelArgs, KernelSpec } from '../types.js';

/** Zero-copy: reads x and dy, writes dw in the backend's heap. */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const g = convGeometry({ op: 'depthwise-backprop-filter', xShape: x.shape, filterShape: a.filterShape,
    strides: a.strides, pad: a.pad, dimRoundingMode: a.dimRoundingMode, dilations: a.dilations, depthwise: true });
  const out = b.makeOutput(a.filterShape, 'float32');
  kernelsFor(b).depthwiseBackpropFilter(ptr(b, x), ptr(b, dy), ptr(b, out), ...convArgs(g, true));
  return out;
}) as unknown as KernelFunc;

export const depthwiseBackpropFilterWasm: KernelSpec = {
  kernelName: DepthwiseConv2dNativeBackpropFilter, backendName: 'wasm', kernelFunc,
};
