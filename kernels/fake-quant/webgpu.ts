import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { webgpuKernelOptions } from '../webgpu/features.js';
import { flatDispatch, i32, makeProgram, runProgram } from '../webgpu/program.js';
import type { WebGPUBackendLike } from '../webgpu/types.js';
import { FAKE_QUANT_UNIFORMS, fakeQuantShader } from './shader.js';

const WG = 64;

/** webgpu: one pass, per tensor or per channel of the last axis; the STE gradient is built from tf ops. */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WebGPUBackendLike;
  const { x, scale, zeroPoint } = inputs as Record<string, TensorInfo>;
  const { qmin, qmax } = attrs as unknown as { qmin: number; qmax: number };
  const count = x!.shape.reduce((p, d) => p * d, 1);
  const channels = scale!.shape.reduce((p, d) => p * d, 1);
  const alwaysExact = !!webgpuKernelOptions().alwaysExactDivision;
  const program = makeProgram({
    name: 'fake-quant', variant: alwaysExact ? 'exact' : 'fast', inputs: ['x', 'scale', 'zeroPoint'],
    outputShape: x!.shape, workgroupSize: [WG, 1, 1], dispatch: flatDispatch(count, WG), flat: true,
    uniforms: FAKE_QUANT_UNIFORMS, code: fakeQuantShader({ alwaysExact }),
  });
  return runProgram(b, program, [x!, scale!, zeroPoint!], 'float32', [i32(count), i32(channels), i32(qmin), i32(qmax)]);
}) as unknown as KernelFunc;

export const fakeQuantWebgpu: KernelSpec = { kernelName: 'FakeQuant', backendName: 'webgpu', kernelFunc };
