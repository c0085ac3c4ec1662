import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { hostOutput, type HostBackend } from '../webgpu/host.js';
import { quantizeGeometry } from './geometry.js';
import type { QuantizeInt8Attrs } from './index.js';
import { quantizeInt8Ref } from './reference.js';

/** cpu: the reference. */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as HostBackend;
  const { x, scale, zeroPoint } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as QuantizeInt8Attrs;
  const values = quantizeInt8Ref({ x: b.readSync(x!.dataId), shape: x!.shape, scale: b.readSync(scale!.dataId),
    zeroPoint: b.readSync(zeroPoint!.dataId), ...a });
  return hostOutput(b, quantizeGeometry(x!.shape, a.transpose).outShape, 'int32', values);
}) as unknown as KernelFunc;

export const quantizeInt8Cpu: KernelSpec = { kernelName: 'QuantizeInt8', backendName: 'cpu', kernelFunc };

