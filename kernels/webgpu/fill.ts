import type { DataType, TensorInfo } from '@tensorflow/tfjs';
import { flatDispatch, i32, makeProgram, runProgram } from './program.js';
import type { WebGPUBackendLike } from './types.js';

/** A zero-filled tensor made on the GPU: the starting point of atomic accumulations. */
export function zeros(backend: WebGPUBackendLike, shape: number[], dtype: DataType): TensorInfo {
  const count = shape.reduce((a, b) => a * b, 1);
  const zero = dtype === 'float32' ? '0.0' : '0';
  return runProgram(backend, makeProgram({
    name: 'zeros', variant: dtype, inputs: [], outputShape: shape, workgroupSize: [64, 1, 1],
    dispatch: flatDispatch(count, 64), flat: true, uniforms: 'count : i32,',
    code: `fn main(index : i32) { if (index < uniforms.count) { result[index] = ${zero}; } }`,
  }), [], dtype, [i32(count)]);
}
