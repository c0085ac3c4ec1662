import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { hostOutput, type HostBackend } from '../webgpu/host.js';
import { matMulInt8WeightOnlyRef } from './reference.js';

/** cpu: the reference. */
const kernelFunc = (({ inputs, backend }: KernelArgs) => {
  const b = backend as HostBackend;
  const { x, w, wScale, bias } = inputs as Record<string, TensorInfo | undefined>;
  const m = x!.shape[0]!, k = x!.shape[1]!, n = w!.shape[0]!;
  const values = matMulInt8WeightOnlyRef({ x: b.readSync(x!.dataId), w: b.readSync(w!.dataId), m, n, k,
    wScale: b.readSync(wScale!.dataId), bias: bias && b.readSync(bias.dataId) });
  return hostOutput(b, [m, n], 'float32', values);
}) as unknown as KernelFunc;

export const matMulInt8WeightOnlyCpu: KernelSpec = { kernelName: 'MatMulInt8WeightOnly', backendName: 'cpu', kernelFunc };

/** wasm: the same JS on the wasm backend's memory (readSync copies out, makeOutput copies in), so the op exists on every backend. */
export const matMulInt8WeightOnlyWasm: KernelSpec = { kernelName: 'MatMulInt8WeightOnly', backendName: 'wasm', kernelFunc };
