import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { zeros } from '../webgpu/fill.js';
import { f32, i32, makeProgram, runProgram } from '../webgpu/program.js';
import type { WebGPUBackendLike } from '../webgpu/types.js';
import { histogramScale } from './reference.js';
import { HISTOGRAM_UNIFORMS, HISTOGRAM_WG, histogramShader } from './shader.js';

/** Local histogram sizes: a few pipelines, not one per bin count. */
function localBinsFor(bins: number): number {
  for (const size of [256, 1024]) if (bins <= size) return size;
  return 0;
}

/** Enough workgroups to fill a GPU, few enough that flushing local histograms stays cheap (~16 values a thread). */
export function histogramDispatch(count: number): { groups: number; stride: number; iters: number } {
  const groups = Math.min(1024, Math.max(1, Math.ceil(count / (HISTOGRAM_WG * 16))));
  const stride = groups * HISTOGRAM_WG;
  return { groups, stride, iters: Math.ceil(count / stride) };
}

/** webgpu: atomics; counts are exact integers, so the order threads add in does not matter. */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WebGPUBackendLike;
  const { x } = inputs as { x: TensorInfo };
  const a = attrs as unknown as { bins: number; min: number; max: number };
  const count = x.shape.reduce((p, d) => p * d, 1);
  const localBins = localBinsFor(a.bins);
  const { groups, stride, iters } = histogramDispatch(count);
  const out = zeros(b, [a.bins], 'int32');
  return runProgram(b, makeProgram({
    name: 'histogram', variant: `local${localBins}`, inputs: ['x'], outputShape: [a.bins],
    workgroupSize: [HISTOGRAM_WG, 1, 1], dispatch: [groups, 1, 1], flat: true, atomic: true,
    uniforms: HISTOGRAM_UNIFORMS, code: histogramShader({ localBins }),
  }), [x], 'int32', [f32(Math.fround(a.min)), f32(histogramScale(a)), i32(a.bins), i32(count), i32(stride), i32(iters)], out);
}) as unknown as KernelFunc;

export const histogramWebgpu: KernelSpec = { kernelName: 'Histogram', backendName: 'webgpu', kernelFunc };
