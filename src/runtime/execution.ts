import * as tf from '@tensorflow/tfjs';
import { KERNELS } from '../../kernels/index.js';
import { ShrinkmlError } from '../core/errors.js';

/**
 * How int8 layers execute: on the int8 kernels where the active backend has them (exact integer arithmetic), else
 * emulated with float32 tfjs ops (./exact-int8.ts: the same integer arithmetic, equal bit for bit where float32 is
 * IEEE; dynamic mode's parameters are computed in float32 there, so they may differ by an ulp). 'kernel' makes a
 * missing kernel an error, 'emulate' skips the kernels (tests compare the two).
 */
export type Int8Execution = 'auto' | 'kernel' | 'emulate';

let execution: Int8Execution = 'auto';

/**
 * How int8 layers run: 'auto' (int8 kernels where the backend has them), 'kernel' (required) or 'emulate' (float
 * ops).
 */
export function setInt8Execution(mode: Int8Execution): void {
  execution = mode;
}

/** The mode set by `setInt8Execution` (default 'auto'). */
export function getInt8Execution(): Int8Execution {
  return execution;
}

export type Int8KernelName = 'MatMulInt8' | 'Conv2DInt8';

/**
 * Whether `name` runs on the active backend. Our kernel is registered on first use when the backend was
 * registered after the runtime was imported (registerKernels only sees backends that exist when it runs).
 */
export function int8KernelReady(name: Int8KernelName): boolean {
  if (execution === 'emulate') return false;
  if (ensureKernel(name)) return true;
  const backend = tf.getBackend();
  if (execution === 'kernel') {
    throw new ShrinkmlError('BACKEND', `shrinkml/runtime: no ${name} kernel for the '${backend}' backend`, {
      subject: backend, suggestion: "use the 'wasm' or 'cpu' backend, or setInt8Execution('auto') to emulate int8 with float ops",
    });
  }
  return false;
}

/**
 * Whether the active backend has kernel `name`, registering shrinkml's own (kernels/) when it has one for this
 * backend and the backend was registered after registerKernels() ran.
 */
export function ensureKernel(name: string): boolean {
  const backend = tf.getBackend();
  if (tf.getKernel(name, backend)) return true;
  const ours = KERNELS.find((k) => k.kernelName === name && k.backendName === backend);
  if (!ours) return false;
  tf.registerKernel(ours);
  return true;
}
