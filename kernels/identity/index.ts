import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';

/**
 * Identity on wasm without a copy: the output shares the input's data, counted by the backend's reference count
 * (as tfjs-backend-wasm's own Reshape does, and tfjs-backend-cpu's Identity). tfjs runs Identity for every tensor a
 * kernel saves for its gradient (Engine.clone): ten copies of LeNet-5's [128, 28, 28, 6] activations a training
 * step, which tfjs-backend-wasm's Identity copies. Tensor data is never written in place, so sharing it is safe;
 * strings go to the kernel this replaces.
 */
let replaced: KernelConfig | undefined;

const kernelFunc = ((args: KernelArgs) => {
  const x = args.inputs.x!;
  if (x.dtype === 'string') return (replaced!.kernelFunc as unknown as (o: KernelArgs) => TensorInfo)(args);
  (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}) as unknown as KernelFunc;

export const identityWasm: KernelSpec & { replaces(previous: KernelConfig): void } = {
  kernelName: 'Identity', backendName: 'wasm', kernelFunc,
  replaces: (previous) => { replaced = previous; },
};
