import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { i32, makeProgram, runProgram } from '../webgpu/program.js';
import type { WebGPUBackendLike } from '../webgpu/types.js';
import { LANES, ROWS, WEIGHT_ONLY_UNIFORMS, weightOnlyShader } from './shader.js';

const kernelFunc = (({ inputs, backend }: KernelArgs) => {
  const b = backend as unknown as WebGPUBackendLike;
  const { x, w, wScale, bias } = inputs as Record<string, TensorInfo | undefined>;
  const m = x!.shape[0]!, k = x!.shape[1]!, n = w!.shape[0]!;
  const hasBias = !!bias;
  // Batch 1 keeps one activation row per workgroup; larger batches take 4, reading each weight word once for 4 rows.
  const mRows = m >= 4 ? 4 : 1;
  const program = makeProgram({
    name: 'matmul-int8-weight-only', variant: `b${+hasBias}_m${mRows}`, inputs: hasBias ? ['x', 'w', 'wScale', 'bias'] : ['x', 'w', 'wScale'],
    outputShape: [m, n], workgroupSize: [LANES, ROWS, 1], dispatch: [Math.ceil(n / ROWS), Math.ceil(m / mRows), 1], flat: false,
    uniforms: WEIGHT_ONLY_UNIFORMS, code: weightOnlyShader({ hasBias, mRows }),
  });
  return runProgram(b, program, hasBias ? [x!, w!, wScale!, bias!] : [x!, w!, wScale!], 'float32',
    [i32(m), i32(n), i32(k), i32(Math.ceil(k / 4))]);
}) as unknown as KernelFunc;

export const matMulInt8WeightOnlyWebgpu: KernelSpec = { kernelName: 'MatMulInt8WeightOnly', backendName: 'webgpu', kernelFunc };
