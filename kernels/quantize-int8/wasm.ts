import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { kernelsFor, ptr, type WasmBackendLike } from '../wasm/loader.js';
import { quantizeInt8Cpu } from './cpu.js';
import { quantizeGeometry } from './geometry.js';
import type { QuantizeInt8Attrs } from './index.js';

type Backend = WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo; readSync(id: object): ArrayLike<number> };

/**
 * wasm: activations per tensor (the fused path's quantize-on-entry) on the SIMD module, zero-copy; per-row
 * parameters and the transposed weight layout (conversion time, not inference) run the reference.
 */
const kernelFunc = ((args: KernelArgs) => {
  const { inputs, backend, attrs } = args;
  const b = backend as unknown as Backend;
  const { x, scale, zeroPoint } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as QuantizeInt8Attrs;
  if (a.transpose || scale!.shape[0] !== 1 || x!.dtype !== 'float32') {
    return (quantizeInt8Cpu.kernelFunc as unknown as (o: KernelArgs) => TensorInfo)(args);
  }
  const { rows, k, outShape } = quantizeGeometry(x!.shape, false);
  const out = b.makeOutput(outShape, 'int32');
  kernelsFor(b).quantizeRows(ptr(b, x!), rows, k, b.readSync(scale!.dataId)[0]!, b.readSync(zeroPoint!.dataId)[0]!,
    a.qmin, a.qmax, ptr(b, out), Math.ceil(k / 4) * 4);
  return out;
}) as unknown as KernelFunc;

export const quantizeInt8Wasm: KernelSpec = { kernelName: 'QuantizeInt8', backendName: 'wasm', kernelFunc };
