import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { hostOutput, type HostBackend } from '../webgpu/host.js';
import { magnitudeThresholdRef, orderedInputs } from './reference.js';

/** cpu: the reference (a sort). */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as HostBackend;
  const xs = orderedInputs(inputs as Record<string, TensorInfo>).map((t) => b.readSync(t.dataId));
  const r = magnitudeThresholdRef(xs, (attrs as unknown as { k: number }).k);
  return [hostOutput(b, [], 'float32', Float32Array.of(r.threshold)), hostOutput(b, [], 'int32', Int32Array.of(r.index))];
}) as unknown as KernelFunc;

export const magnitudeThresholdCpu: KernelSpec = { kernelName: 'MagnitudeThreshold', backendName: 'cpu', kernelFunc };

/** wasm: the same JS on the wasm backend's memory (readSync copies out, makeOutput copies in), so the op exists on every backend. */
export const magnitudeThresholdWasm: KernelSpec = { kernelName: 'MagnitudeThreshold', backendName: 'wasm', kernelFunc };
