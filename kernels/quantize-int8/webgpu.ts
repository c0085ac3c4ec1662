import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { webgpuKernelOptions } from '../webgpu/features.js';
import { flatDispatch, i32, makeProgram, runProgram } from '../webgpu/program.js';
import type { WebGPUBackendLike } from '../webgpu/types.js';
import { quantizeGeometry } from './geometry.js';
import type { QuantizeInt8Attrs } from './index.js';
import { QUANTIZE_UNIFORMS, quantizeInt8Shader } from './shader.js';

const WG = 64;

const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WebGPUBackendLike;
  const { x, scale, zeroPoint } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as QuantizeInt8Attrs;
  const { rows, k, outShape } = quantizeGeometry(x!.shape, a.transpose);
  const words = Math.ceil(k / 4);
  const count = rows * words;
  const alwaysExact = !!webgpuKernelOptions().alwaysExactDivision;
  const program = makeProgram({
    name: 'quantize-int8', variant: alwaysExact ? 'exact' : 'fast', inputs: ['x', 'scale', 'zeroPoint'],
    outputShape: outShape, workgroupSize: [WG, 1, 1], dispatch: flatDispatch(count, WG), flat: true,
    uniforms: QUANTIZE_UNIFORMS, code: quantizeInt8Shader({ alwaysExact }),
  });
  const [rowStride, kStride] = a.transpose ? [1, rows] : [k, 1];
  const scaleCount = scale!.shape.reduce((p, q) => p * q, 1);
  return runProgram(b, program, [x!, scale!, zeroPoint!], 'int32',
    [i32(words), i32(k), i32(rowStride), i32(kStride), i32(scaleCount), i32(a.qmin), i32(a.qmax), i32(count)]);
}) as unknown as KernelFunc;

export const quantizeInt8Webgpu: KernelSpec = { kernelName: 'QuantizeInt8', backendName: 'webgpu', kernelFunc };
