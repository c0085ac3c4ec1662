import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { hostOutput, type HostBackend } from '../webgpu/host.js';
import { channelMinMaxRef } from './reference.js';

/** cpu: the reference. */
const kernelFunc = (({ inputs, backend }: KernelArgs) => {
  const b = backend as HostBackend;
  const { x } = inputs as { x: TensorInfo };
  const channels = x.shape[x.shape.length - 1] ?? 1;
  return hostOutput(b, [3, channels], 'float32', channelMinMaxRef(b.readSync(x.dataId), channels));
}) as unknown as KernelFunc;

export const channelMinMaxCpu: KernelSpec = { kernelName: 'ChannelMinMax', backendName: 'cpu', kernelFunc };

/** wasm: the same JS on the wasm backend's memory (readSync copies out, makeOutput copies in), so the op exists on every backend. */
export const channelMinMaxWasm: KernelSpec = { kernelName: 'ChannelMinMax', backendName: 'wasm', kernelFunc };
