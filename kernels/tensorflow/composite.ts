import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelSpec } from '../types.js';

/** A kernel written with tf ops: inputs as tensors of the active backend, attrs as runKernel got them. */
export type Composite = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/**
 * Wraps a composite as a kernel of `backendName` (default 'tensorflow', i.e. tfjs-node / tfjs-node-gpu, which
 * cannot run our WGSL or wasm). The engine takes a returned Tensor as the kernel's output as is; everything else
 * the composite makes is freed by the tidy. Nested ops inside a kernel are not recorded for gradients.
 */
export function compositeKernel(kernelName: string, composite: Composite, backendName = 'tensorflow'): KernelSpec {
  const kernelFunc = (({ inputs, attrs, backend }: { inputs: Record<string, TensorInfo>; attrs: Record<string, unknown>;
    backend: { incRef(dataId: object): void } }) =>
    tf.tidy(() => {
      const engine = tf.engine();
      const tensors: Record<string, tf.Tensor> = {};
      for (const [name, info] of Object.entries(inputs)) {
        if (!info) continue;
        // The wrapper's dispose (by the tidy) drops one backend reference: take one, or the caller's input dies.
        backend.incRef(info.dataId);
        tensors[name] = engine.makeTensorFromTensorInfo(info);
      }
      return composite(tensors, attrs);
    })) as unknown as KernelFunc;
  return { kernelName, backendName, kernelFunc };
}
