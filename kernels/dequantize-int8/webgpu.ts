import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { flatDispatch, i32, makeProgram, runProgram } from '../webgpu/program.js';
import type { WebGPUBackendLike } from '../webgpu/types.js';
import { dequantizeShape, type DequantizeInt8Attrs } from './index.js';
import { DEQUANTIZE_UNIFORMS, dequantizeInt8Shader } from './shader.js';

const WG = 64;

const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WebGPUBackendLike;
  const { q, scale, zeroPoint } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as DequantizeInt8Attrs;
  const words = Math.ceil(a.k / 4);
  const rows = q!.shape.reduce((p, d) => p * d, 1) / words;
  const count = rows * a.k;
  const program = makeProgram({
    name: 'dequantize-int8', inputs: ['q', 'scale', 'zeroPoint'], outputShape: dequantizeShape(q!.shape, a),
    workgroupSize: [WG, 1, 1], dispatch: flatDispatch(count, WG), flat: true, uniforms: DEQUANTIZE_UNIFORMS,
    code: dequantizeInt8Shader(),
  });
  const channels = scale!.shape.reduce((p, d) => p * d, 1);
  return runProgram(b, program, [q!, scale!, zeroPoint!], 'float32',
    [i32(a.k), i32(words), i32(rows), i32(channels), i32(a.transpose ? 1 : 0), i32(count)]);
}) as unknown as KernelFunc;

export const dequantizeInt8Webgpu: KernelSpec = { kernelName: 'DequantizeInt8', backendName: 'webgpu', kernelFunc };
