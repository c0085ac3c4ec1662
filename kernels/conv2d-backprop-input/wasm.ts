import type { Conv2DBackpropInputAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { Conv2DBackpropInput } from '@tensorflow/tfjs';
import { convArgs, convGeometry } from '../conv-geometry.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import type { KernelArgs, KernelSpec } from '../types.js';

/**
 * Ci ≥ 4: zero-copy for dy and dx, one scratch copy of the (small) filter, transposed and padded so ci is the
 * SIMD lane. Ci < 4 (first layers; tfjs's fused conv computes this gradient even for the model input): dy and the
 * filter are copied with output channels padded to a multiple of 4 and the kernel vectorises over them instead.
 */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as Conv2DBackpropInputAttrs;
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const g = convGeometry({ op: 'conv2d-backprop-input', xShape: a.inputShape, filterShape: filter.shape, strides: a.strides,
    pad: a.pad, dimRoundingMode: a.dimRoundingMode, dataFormat: a.dataFormat });
  const out = b.makeOutput(a.inputShape, 'float32');
  const mod = kernelsFor(b);
  if (g.Ci >= 4) {
    withScratch(b, [g.FH * g.FW * Math.ceil(g.Ci / 4) * 4 * g.Co * 4], (wt) => {
      mod.conv2dBackpropInput(ptr(b, dy), ptr(b, filter), ptr(b, out), wt!, ...convArgs(g, false));
    });
    return out;
  }
  const cop = Math.ceil(g.Co / 4) * 4;
  const dyRows = g.B * g.OH * g.OW, wRows = g.FH * g.FW * g.Ci;
  withScratch(b, [dyRows * cop * 4, wRows * cop * 4], (dyP, wP) => {
    mod.padChannels(ptr(b, dy), dyRows, g.Co, dyP!, cop);
    mod.padChannels(ptr(b, filter), wRows, g.Co, wP!, cop);
    mod.conv2dBackpropInputDot(dyP!, wP!, ptr(b, out), ...convArgs({ ...g, Co: cop }, false));
  });
  return out;
}) as unknown as KernelFunc;

/** Replaces tfjs-backend-wasm's own (scalar) Conv2DBackpropInput. */
export const conv2dBackpropInputWasm: KernelSpec = { kernelName: Conv2DBackpropInput, backendName: 'wasm', kernelFunc };
