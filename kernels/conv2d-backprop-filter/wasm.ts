import type { Conv2DBackpropFilterAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { Conv2DBackpropFilter } from '@tensorflow/tfjs';
import { convArgs, convGeometry } from '../conv-geometry.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import type { KernelArgs, KernelSpec } from '../types.js';

/**
 * Zero-copy when the output channel count is a multiple of 4 (reads x and dy, writes dw in the backend's heap).
 * Otherwise dy is copied into scratch with channels padded to a multiple of 4 (every column block a full vector,
 * e.g. LeNet's 6 filters) and dw is computed padded and copied out: two copies that cost less than scalar tails.
 */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const g = convGeometry({ op: 'conv2d-backprop-filter', xShape: x.shape, filterShape: a.filterShape, strides: a.strides,
    pad: a.pad, dimRoundingMode: a.dimRoundingMode, dataFormat: a.dataFormat });
  const out = b.makeOutput(a.filterShape, 'float32');
  const mod = kernelsFor(b);
  if (g.Co % 4 === 0) {
    mod.conv2dBackpropFilter(ptr(b, x), ptr(b, dy), ptr(b, out), ...convArgs(g, false));
    return out;
  }
  const cop = Math.ceil(g.Co / 4) * 4;
  const dyRows = g.B * g.OH * g.OW, dwRows = g.FH * g.FW * g.Ci;
  withScratch(b, [dyRows * cop * 4, dwRows * cop * 4], (dyP, dwP) => {
    mod.padChannels(ptr(b, dy), dyRows, g.Co, dyP!, cop);
    mod.conv2dBackpropFilter(ptr(b, x), dyP!, dwP!, ...convArgs({ ...g, Co: cop }, false));
    mod.unpadChannels(dwP!, dwRows, cop, ptr(b, out), g.Co);
  });
  return out;
}) as unknown as KernelFunc;

export const conv2dBackpropFilterWasm: KernelSpec = { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc };
