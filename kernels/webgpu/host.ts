import type { TensorInfo } from '@tensorflow/tfjs';

/**
 * The backend API our JS (reference) kernels need on cpu and wasm alike: readSync copies values out of either;
 * outputs are made with makeTensorInfo (cpu) or makeOutput (tfjs-backend-wasm, which has no makeTensorInfo).
 */
export interface HostBackend {
  readSync(dataId: object): ArrayLike<number>;
}

export function hostOutput(backend: HostBackend, shape: number[], dtype: 'float32' | 'int32',
  values: Float32Array | Int32Array): TensorInfo {
  const b = backend as HostBackend & {
    makeOutput(s: number[], d: string, offset: undefined, v: Float32Array | Int32Array): TensorInfo;
    makeTensorInfo(s: number[], d: string, v: Float32Array | Int32Array): TensorInfo;
  };
  // The cpu backend has a makeOutput too, with another signature: tell wasm by its memory offsets.
  return 'getMemoryOffset' in b ? b.makeOutput(shape, dtype, undefined, values) : b.makeTensorInfo(shape, dtype, values);
}
