import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import { copyToPool, ownRows, poolFor, TASK_MATMUL } from '../wasm/threads.js';

/**
 * BatchMatMul on wasm for unbatched float32 operands without transposeB, or with transposeB alone (a Dense layer's
 * gradients: xᵀ·dy for the weights, dy·Wᵀ for the input; with A·B, 10% of a LeNet-5 training step):
 * tfjs-backend-wasm runs them on a scalar loop; ours is a SIMD 4×8 register-blocked kernel (kernels/wasm/assembly/
 * matmul.ts) reading A with strides (either layout) and B row-major (Wᵀ is transposed once into scratch), equal to
 * the plain float32 loop bit for bit (reference.ts). Kernel threads split the output rows. Every other case
 * (both transposed, batched operands, other dtypes) goes to the kernel it replaced.
 */
let replaced: KernelConfig | undefined;

const kernelFunc = ((args: KernelArgs) => {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as Record<string, TensorInfo>;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const rank2 = (t: TensorInfo) => t.shape.slice(0, -2).every((d) => d === 1);
  if ((transposeA && transposeB) || a!.dtype !== 'float32' || b!.dtype !== 'float32' || !rank2(a!) || !rank2(b!)) {
    return (replaced!.kernelFunc as unknown as (o: KernelArgs) => TensorInfo)(args);
  }
  const w = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const [r, c] = a!.shape.slice(-2) as [number, number];
  const [M, K] = transposeA ? [c, r] : [r, c];
  const N = b!.shape[b!.shape.length - (transposeB ? 2 : 1)]!;
  const lead = a!.shape.length > b!.shape.length ? a!.shape.slice(0, -2) : b!.shape.slice(0, -2);
  const out = w.makeOutput([...lead, M, N], 'float32');
  const [sam, sak] = transposeA ? [4, 4 * M] : [4 * K, 4];
  const mod = kernelsFor(w);
  const run = (bAt: number) => {
    const pool = M > 4 ? poolFor(M * N * K) : null;
    if (!pool) return mod.matmulF32(ptr(w, a!), sam, sak, bAt, ptr(w, out), K, M, N, 0, M);
    const blocks = Math.ceil(M / 4), own = Math.min(M, 4 * ownRows(blocks, pool.threads)), heap = w.wasm.HEAPU8;
    const aS = copyToPool(pool, heap, ptr(w, a!), M * K * 4), bS = copyToPool(pool, heap, bAt, K * N * 4);
    const oS = pool.scratch(M * N * 4);
    pool.runFloat(TASK_MATMUL, blocks, [aS, sam, sak, bS, oS, K, M, N],
      () => mod.matmulF32(ptr(w, a!), sam, sak, bAt, ptr(w, out), K, M, N, 0, own));
    w.wasm.HEAPU8.set(pool.view(oS + own * N * 4, (M - own) * N * 4), ptr(w, out) + own * N * 4);
  };
  if (!transposeB) run(ptr(w, b!));
  else {
    withScratch(w, [K * N * 4], (bt) => {
      mod.transposeF32(ptr(w, b!), N, K, bt!);
      run(bt!);
    });
  }
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
