import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { hostOutput, type HostBackend } from '../webgpu/host.js';
import { dequantizeShape, type DequantizeInt8Attrs } from './index.js';
import { dequantizeInt8Ref } from './reference.js';

/** cpu: the reference. */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as HostBackend;
  const { q, scale, zeroPoint } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as DequantizeInt8Attrs;
  const values = dequantizeInt8Ref({ q: b.readSync(q!.dataId), k: a.k, scale: b.readSync(scale!.dataId),
    zeroPoint: b.readSync(zeroPoint!.dataId), transpose: a.transpose });
  return hostOutput(b, dequantizeShape(q!.shape, a), 'float32', values);
}) as unknown as KernelFunc;

export const dequantizeInt8Cpu: KernelSpec = { kernelName: 'DequantizeInt8', backendName: 'cpu', kernelFunc };

/** wasm: the same JS on the wasm backend's memory (readSync copies out, makeOutput copies in), so the op exists on every backend. */
export const dequantizeInt8Wasm: KernelSpec = { kernelName: 'DequantizeInt8', backendName: 'wasm', kernelFunc };
