import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { hasPackedDot } from '../webgpu/features.js';
import { f32, i32, makeProgram, runProgram, u32 } from '../webgpu/program.js';
import type { WebGPUBackendLike } from '../webgpu/types.js';
import { MATMUL_INT8_UNIFORMS, matMulInt8Shader, TILE } from './shader.js';

export interface MatMulInt8Run {
  /** int32 [M, ceil(k/4)] and [N, ceil(k/4)] packed rows. */
  a: TensorInfo; w: TensorInfo; wScale: TensorInfo;
  bias?: TensorInfo; wZeroPoint?: TensorInfo;
  m: number; n: number; k: number;
  aScale: number; aZeroPoint: number;
  /** Any shape of M·N values ([M, N]; Conv2DInt8 asks for NHWC directly). */
  outShape: number[];
}

/** Runs the tiled MatMulInt8 program (shared with Conv2DInt8, which feeds it im2col rows). */
export function runMatMulInt8(backend: WebGPUBackendLike, r: MatMulInt8Run): TensorInfo {
  const native = hasPackedDot();
  const hasBias = !!r.bias, hasZeroPoints = !!r.wZeroPoint;
  const inputs = [r.a, r.w, r.wScale];
  const names = ['a', 'w', 'wScale'];
  if (r.bias) { inputs.push(r.bias); names.push('bias'); }
  if (r.wZeroPoint) { inputs.push(r.wZeroPoint); names.push('wZeroPoint'); }
  const program = makeProgram({
    name: 'matmul-int8', variant: `${native ? 'dot4' : 'portable'}_b${+hasBias}_z${+hasZeroPoints}`, inputs: names,
    outputShape: r.outShape, workgroupSize: [8, 8, 1],
    dispatch: [Math.ceil(r.n / TILE), Math.ceil(r.m / TILE), 1], flat: false,
    uniforms: MATMUL_INT8_UNIFORMS, code: matMulInt8Shader({ native, hasBias, hasZeroPoints }),
  });
  return runProgram(backend, program, inputs, 'float32', [i32(r.m), i32(r.n), i32(r.k), i32(Math.ceil(r.k / 4)),
    f32(r.aScale), i32(r.aZeroPoint), u32(0)]);
}

const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const { a, w, wScale, bias, wZeroPoint } = inputs as Record<string, TensorInfo | undefined>;
  const { k, aScale, aZeroPoint } = attrs as unknown as { k: number; aScale: number; aZeroPoint: number };
  const m = a!.shape[0]!, n = w!.shape[0]!;
  return runMatMulInt8(backend as unknown as WebGPUBackendLike,
    { a: a!, w: w!, wScale: wScale!, bias, wZeroPoint, m, n, k, aScale, aZeroPoint, outShape: [m, n] });
}) as unknown as KernelFunc;

export const matMulInt8Webgpu: KernelSpec = { kernelName: 'MatMulInt8', backendName: 'webgpu', kernelFunc };
