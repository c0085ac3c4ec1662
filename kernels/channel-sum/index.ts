import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { kernelsFor, ptr, type WasmBackendLike } from '../wasm/loader.js';

/**
 * Sum and Mean on wasm over every axis but the last of a float32 tensor (per-channel statistics of NHWC: BatchNorm's
 * training forward and its gradients). tfjs-backend-wasm transposes the whole tensor to put those axes innermost,
 * then sums; ours sums rows straight into channel lanes (kernels/wasm/assembly/reduce.ts) in the same per-channel
 * order, so the bits are the same (reference.ts). Every other reduction goes to the kernel it replaced.
 */
function spec(kernelName: 'Sum' | 'Mean'): KernelSpec & { replaces(previous: KernelConfig): void } {
  let replaced: KernelConfig | undefined;
  const kernelFunc = ((args: KernelArgs) => {
    const x = args.inputs.x!;
    const { axis, keepDims } = args.attrs as { axis: number | number[] | null; keepDims: boolean };
    const rank = x.shape.length;
    const list = axis == null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis]; // null: every axis
    const axes = new Set(list.map((a) => (a < 0 ? a + rank : a)));
    const size = x.shape.reduce((a, b) => a * b, 1);
    const channelsOnly = rank >= 2 && axes.size === rank - 1 && !axes.has(rank - 1);
    if (!channelsOnly || x.dtype !== 'float32' || size === 0) {
      return (replaced!.kernelFunc as unknown as (o: KernelArgs) => TensorInfo)(args);
    }
    const w = args.backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
    const C = x.shape[rank - 1]!;
    const out = w.makeOutput(keepDims ? [...Array(rank - 1).fill(1), C] : [C], 'float32');
    kernelsFor(w).channelSum(ptr(w, x), size / C, C, ptr(w, out), kernelName === 'Mean');
    return out;
  }) as unknown as KernelFunc;
  return {
    kernelName, backendName: 'wasm', kernelFunc,
    replaces: (previous) => { replaced = previous; },
    // As batch-matmul: registered before the backend initializes, tfjs runs this instead of the replaced kernel's setup.
    setupFunc: (backend: object) => replaced?.setupFunc?.(backend),
  };
}

export const CHANNEL_SUM_WASM = [spec('Sum'), spec('Mean')];
export { reduceSumRef } from './reference.js';
