import type { Conv2DBackpropFilterAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { Conv2DBackpropFilter } from '@tensorflow/tfjs';
import { convArgs, convGeometry } from '../conv-geometry.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import { copyToPool, ownRows, poolFor, TASK_BACKPROP_FILTER } from '../wasm/threads.js';
import type { KernelArgs, KernelSpec } from '../types.js';

/**
 * Zero-copy when the output channel count is a multiple of 4 (reads x and dy, writes dw in the backend's heap).
 * Otherwise dy is copied into scratch with channels padded to a multiple of 4 (every column block a full vector,
 * e.g. LeNet's 6 filters) and dw is computed padded and copied out: two copies that cost less than scalar tails.
 * Kernel threads (kernels/wasm/threads.ts) split the filter taps (each sums over every image, so x and dy are
 * copied whole to the shared memory); this thread computes the first taps in place.
 */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const g = convGeometry({ op: 'conv2d-backprop-filter', xShape: x.shape, filterShape: a.filterShape, strides: a.strides,
    pad: a.pad, dimRoundingMode: a.dimRoundingMode, dataFormat: a.dataFormat });
  const out = b.makeOutput(a.filterShape, 'float32');
  const mod = kernelsFor(b);
  const cop = Math.ceil(g.Co / 4) * 4, taps = g.FH * g.FW;
  const args = convArgs({ ...g, Co: cop }, false);
  const pool = taps > 1 ? poolFor(g.B * g.OH * g.OW * taps * g.Ci * cop) : null;
  const run = (dyAt: number, dwAt: number) => {
    if (!pool) return mod.conv2dBackpropFilter(ptr(b, x), dyAt, dwAt, ...args, 0, taps);
    const own = ownRows(taps, pool.threads), heap = b.wasm.HEAPU8, tapBytes = g.Ci * cop * 4;
    const xS = copyToPool(pool, heap, ptr(b, x), g.B * g.H * g.W * g.Ci * 4);
    const dyS = copyToPool(pool, heap, dyAt, g.B * g.OH * g.OW * cop * 4), dwS = pool.scratch(taps * tapBytes);
    pool.runFloat(TASK_BACKPROP_FILTER, taps, [xS, dyS, dwS, ...args],
      () => mod.conv2dBackpropFilter(ptr(b, x), dyAt, dwAt, ...args, 0, own));
    b.wasm.HEAPU8.set(pool.view(dwS + own * tapBytes, (taps - own) * tapBytes), dwAt + own * tapBytes);
  };
  if (cop === g.Co) {
    run(ptr(b, dy), ptr(b, out));
    return out;
  }
  const dyRows = g.B * g.OH * g.OW, dwRows = taps * g.Ci;
  withScratch(b, [dyRows * cop * 4, dwRows * cop * 4], (dyP, dwP) => {
    mod.padChannels(ptr(b, dy), dyRows, g.Co, dyP!, cop);
    run(dyP!, dwP!);
    mod.unpadChannels(dwP!, dwRows, cop, ptr(b, out), g.Co);
  });
  return out;
}) as unknown as KernelFunc;

export const conv2dBackpropFilterWasm: KernelSpec = { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc };
