import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { kernelsFor, ptr, type WasmBackendLike } from '../wasm/loader.js';

/**
 * BatchMatMul on wasm with transposeA (a Dense layer's weight gradient xᵀ·dy, 15% of a LeNet-5 training step):
 * tfjs-backend-wasm runs it on a scalar loop; ours is a SIMD 4×8 register-blocked Aᵀ·B (kernels/wasm/assembly/
 * matmul.ts), equal to the plain float32 loop bit for bit (reference.ts). Every other case (no transposeA,
 * batched operands, other dtypes) goes to the kernel it replaced.
 */
let replaced: KernelConfig | undefined;

const kernelFunc = ((args: KernelArgs) => {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as Record<string, TensorInfo>;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const rank2 = (t: TensorInfo) => t.shape.slice(0, -2).every((d) => d === 1);
  if (!transposeA || transposeB || a!.dtype !== 'float32' || b!.dtype !== 'float32' || !rank2(a!) || !rank2(b!)) {
    return (replaced!.kernelFunc as unknown as (o: KernelArgs) => TensorInfo)(args);
  }
  const w = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const [K, M] = a!.shape.slice(-2) as [number, number];
  const N = b!.shape[b!.shape.length - 1]!;
  const lead = a!.shape.length > b!.shape.length ? a!.shape.slice(0, -2) : b!.shape.slice(0, -2);
  const out = w.makeOutput([...lead, M, N], 'float32');
  kernelsFor(w).matmulTN(ptr(w, a!), ptr(w, b!), ptr(w, out), K, M, N);
  return out;
}) as unknown as KernelFunc;

export const batchMatMulWasm: KernelSpec & { replaces(previous: KernelConfig): void } = {
  kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc,
  replaces: (previous) => { replaced = previous; },
  // When registered before the backend initializes, tfjs runs this instead of the replaced kernel's own setup
  // (which binds its wasm function): run that.
  setupFunc: (backend: object) => replaced?.setupFunc?.(backend),
};

export { matMulTNRef } from './reference.js';
