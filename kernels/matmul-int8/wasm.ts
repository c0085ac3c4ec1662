import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { gemmAccBytes } from '../fused-int8/kernels.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import type { KernelArgs, KernelSpec } from '../types.js';

type Backend = WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };

/**
 * Zero-copy for a, w, scales, bias and the output. One scratch pass widens the activations to int16 with their
 * zero point removed (M·K·2 bytes, small next to the weights at the batch sizes int8 is for).
 */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as Backend;
  const { a, w, wScale, bias, wZeroPoint } = inputs as Record<string, TensorInfo | undefined>;
  const { k, aScale, aZeroPoint } = attrs as unknown as { k: number; aScale: number; aZeroPoint: number };
  const m = a!.shape[0]!, n = w!.shape[0]!;
  const rowBytes = Math.ceil(k / 4) * 4;
  const lda = Math.ceil(k / 8) * 8;
  const out = b.makeOutput([m, n], 'float32');
  const mod = kernelsFor(b);
  withScratch(b, [m * lda * 2, m * 4, gemmAccBytes(n)], (a16, sums, acc) => {
    mod.widenRows(ptr(b, a!), rowBytes, m, k, aZeroPoint, a16!, lda, sums!);
    mod.gemmI8(a16!, lda, ptr(b, w!), rowBytes, m, n, k, ptr(b, out), n, aScale, ptr(b, wScale!),
      bias ? ptr(b, bias) : 0, wZeroPoint ? ptr(b, wZeroPoint) : 0, sums!, -Infinity, Infinity, 0, 0, acc!);
  });
  return out;
}) as unknown as KernelFunc;

export const matMulInt8Wasm: KernelSpec = { kernelName: 'MatMulInt8', backendName: 'wasm', kernelFunc };
