import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { matMulInt8Ref } from './reference.js';

type Backend = { readSync(id: object): ArrayLike<number>; makeTensorInfo(s: number[], d: string, v: Float32Array): TensorInfo };

/** The cpu backend runs the reference itself (the cpu backend is the slow, obviously-correct path). */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as Backend;
  const { a, w, wScale, bias, wZeroPoint } = inputs as Record<string, TensorInfo | undefined>;
  const { k, aScale, aZeroPoint } = attrs as unknown as { k: number; aScale: number; aZeroPoint: number };
  const m = a!.shape[0]!, n = w!.shape[0]!;
  const values = matMulInt8Ref({
    a: b.readSync(a!.dataId), w: b.readSync(w!.dataId), m, n, k, aScale, aZeroPoint,
    wScale: b.readSync(wScale!.dataId),
    bias: bias && b.readSync(bias.dataId), wZeroPoint: wZeroPoint && b.readSync(wZeroPoint.dataId),
  });
  return b.makeTensorInfo([m, n], 'float32', values);
}) as unknown as KernelFunc;

export const matMulInt8Cpu: KernelSpec = { kernelName: 'MatMulInt8', backendName: 'cpu', kernelFunc };
