import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import { BINARY_OPS, type BinaryOp } from './reference.js';

/**
 * Add, Sub, Multiply and RealDiv on wasm when one float32 operand of more than one value repeats along the other: its
 * dimensions other than leading 1s are the other's trailing ones ([1, 1, 1, C] or [C] against NHWC).
 * BatchNorm's training ops are these; tfjs-backend-wasm runs them on a generic broadcasting loop (~12× its
 * same-shape speed at [1, 1, 1, 6] × [128, 28, 28, 6]). One IEEE float32 operation per element, so the result is
 * the same bits (reference.ts); every other case goes to the kernel it replaced.
 */
function spec(op: BinaryOp): KernelSpec & { replaces(previous: KernelConfig): void } {
  let replaced: KernelConfig | undefined;
  const delegate = (args: KernelArgs) => (replaced!.kernelFunc as unknown as (o: KernelArgs) => TensorInfo)(args);
  const kernelFunc = ((args: KernelArgs) => {
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    const size = (t: TensorInfo) => t.shape.reduce((x, y) => x * y, 1);
    const smallFirst = size(a!) < size(b!);
    const [big, small] = smallFirst ? [b!, a!] : [a!, b!];
    const core = small.shape.slice(small.shape.findIndex((d) => d !== 1) >>> 0); // without leading 1s ([] for a scalar)
    const suffix = core.length === 0 || (core.length <= big.shape.length && core.every((d, i) => d === big.shape[big.shape.length - core.length + i]));
    // A single value is left to tfjs-wasm too: its scalar path is already a vector loop (RealDiv by a scalar ran
    // 0.17 ms there against 0.29 ms here at [128, 28, 28, 6]).
    if (a!.dtype !== 'float32' || b!.dtype !== 'float32' || size(small) === size(big) || size(small) === 1 || !suffix ||
      small.shape.length > big.shape.length) {
      return delegate(args);
    }
    const w = args.backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
    const out = w.makeOutput(big.shape, 'float32');
    const S = Math.max(1, size(small));
    withScratch(w, [4 * S * 4], (pat) => {
      kernelsFor(w).suffixBinary(ptr(w, big), size(big), ptr(w, small), S, ptr(w, out), BINARY_OPS.indexOf(op), smallFirst, pat!);
    });
    return out;
  }) as unknown as KernelFunc;
  return {
    kernelName: op, backendName: 'wasm', kernelFunc,
    replaces: (previous) => { replaced = previous; },
    // As batch-matmul: registered before the backend initializes, tfjs runs this instead of the replaced kernel's setup.
    setupFunc: (backend: object) => replaced?.setupFunc?.(backend),
  };
}

export const BROADCAST_BINARY_WASM = BINARY_OPS.map(spec);
export { broadcastBinaryRef, BINARY_OPS } from './reference.js';
