import type { Conv2DBackpropInputAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { Conv2DBackpropInput } from '@tensorflow/tfjs';
import { convArgs, convGeometry } from '../conv-geometry.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import { copyToPool, ownRows, poolFor, TASK_BACKPROP_INPUT } from '../wasm/threads.js';
import type { KernelArgs, KernelSpec } from '../types.js';

/**
 * Ci ≥ 4: zero-copy for dy and dx, one scratch copy of the (small) filter, transposed and padded so ci is the
 * SIMD lane. Ci < 4 (first layers; tfjs's fused conv computes this gradient even for the model input): dy and the
 * filter are copied with output channels padded to a multiple of 4 and the kernel vectorises over them instead.
 * Kernel threads (kernels/wasm/threads.ts) split the images: this thread computes the first ones in place, the
 * others read their images of dy and the filter from the shared memory and their dx is copied back.
 */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as Conv2DBackpropInputAttrs;
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const g = convGeometry({ op: 'conv2d-backprop-input', xShape: a.inputShape, filterShape: filter.shape, strides: a.strides,
    pad: a.pad, dimRoundingMode: a.dimRoundingMode, dataFormat: a.dataFormat });
  const out = b.makeOutput(a.inputShape, 'float32');
  const mod = kernelsFor(b);
  const dot = g.Ci < 4;
  const cip = Math.ceil(g.Ci / 4) * 4, cop = dot ? Math.ceil(g.Co / 4) * 4 : g.Co;
  const dims = convArgs({ ...g, Co: cop }, false).slice(1); // after B
  const pool = g.B > 1 ? poolFor(g.B * g.OH * g.OW * g.FH * g.FW * (dot ? g.Ci : cip) * cop) : null;
  // Runs images [0, n) on this thread: on every image when single-threaded, share 0 otherwise.
  const compute = (dyAt: number, wAt: number, n: number) => {
    if (dot) mod.conv2dBackpropInputDot(dyAt, wAt, ptr(b, out), n, ...dims);
    else withScratch(b, [g.FH * g.FW * cip * g.Co * 4], (wt) => mod.conv2dBackpropInput(dyAt, wAt, ptr(b, out), wt!, n, ...dims));
  };
  const run = (dyAt: number, wAt: number) => {
    if (!pool) return compute(dyAt, wAt, g.B);
    const own = ownRows(g.B, pool.threads), heap = b.wasm.HEAPU8;
    const dyImage = g.OH * g.OW * cop * 4, dxImage = g.H * g.W * g.Ci * 4, wBytes = g.FH * g.FW * g.Ci * cop * 4;
    const wtBytes = g.FH * g.FW * cip * g.Co * 4;
    const dyS = copyToPool(pool, heap, dyAt, g.B * dyImage, own * dyImage), wS = copyToPool(pool, heap, wAt, wBytes);
    const dxS = pool.scratch(g.B * dxImage), wtS = dot ? 0 : pool.scratch(wtBytes * pool.threads);
    pool.runFloat(TASK_BACKPROP_INPUT, g.B, [dot ? 1 : 0, dyS, dyImage, wS, dxS, dxImage, wtS, wtBytes, ...dims],
      () => compute(dyAt, wAt, own));
    b.wasm.HEAPU8.set(pool.view(dxS + own * dxImage, (g.B - own) * dxImage), ptr(b, out) + own * dxImage);
  };
  if (!dot) {
    run(ptr(b, dy), ptr(b, filter));
    return out;
  }
  const dyRows = g.B * g.OH * g.OW, wRows = g.FH * g.FW * g.Ci;
  withScratch(b, [dyRows * cop * 4, wRows * cop * 4], (dyP, wP) => {
    mod.padChannels(ptr(b, dy), dyRows, g.Co, dyP!, cop);
    mod.padChannels(ptr(b, filter), wRows, g.Co, wP!, cop);
    run(dyP!, wP!);
  });
  return out;
}) as unknown as KernelFunc;

/** Replaces tfjs-backend-wasm's own (scalar) Conv2DBackpropInput. */
export const conv2dBackpropInputWasm: KernelSpec = { kernelName: Conv2DBackpropInput, backendName: 'wasm', kernelFunc };
