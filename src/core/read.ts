import * as tf from '@tensorflow/tfjs';

/**
 * Reading tensors back to JS, the same on every backend. `dataSync`/`arraySync` do not work on tfjs-backend-webgpu
 * in Node (its readSync needs an OffscreenCanvas) and stall the GPU in browsers, so library code on the training,
 * pruning, calibration, clustering and measurement paths reads through these, never synchronously.
 */

/** A tensor's values. On cpu/wasm this may be the backend's own array: copy it before writing to it. */
export async function readValues<D extends keyof tf.DataTypeMap = 'float32'>(t: tf.Tensor): Promise<tf.DataTypeMap[D]> {
  return (await t.data()) as tf.DataTypeMap[D];
}

/** The values of several tensors, read concurrently (one GPU round trip each, overlapped). */
export function readAll<D extends keyof tf.DataTypeMap = 'float32'>(tensors: readonly tf.Tensor[]): Promise<tf.DataTypeMap[D][]> {
  return Promise.all(tensors.map((t) => readValues<D>(t)));
}

/** A layer weight's current values. */
export function readVariable(v: tf.LayerVariable): Promise<Float32Array> {
  return readValues(v.read());
}

/**
 * True where a synchronous read is impossible or stalls the device (webgpu, webgl): code that must decide inside a
 * synchronous tfjs call (a layer's call(), a tidy) keeps values on the device there, or reads them later.
 */
export function isGpuBackend(): boolean {
  return ['webgpu', 'webgl'].includes(tf.getBackend());
}
