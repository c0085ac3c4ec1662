import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { zeros } from '../webgpu/fill.js';
import { disposeIntermediate, i32, makeProgram, runProgram, u32 } from '../webgpu/program.js';
import type { WebGPUBackendLike } from '../webgpu/types.js';
import { orderedInputs } from './reference.js';
import { DIGIT_UNIFORMS, DIGIT_WG, digitHistogramShader, FINISH_UNIFORMS, finishShader, SELECT_UNIFORMS,
  selectDigitShader } from './shader.js';

/** Digit shifts, most significant first, for keys of `bits` bits. */
function shifts(bits: number): number[] {
  const out: number[] = [];
  for (let s = Math.floor((Math.max(bits, 1) - 1) / 8) * 8; s >= 0; s -= 8) out.push(s);
  return out;
}

/**
 * webgpu radix select: 4 passes over the 31 bits of |w|, then ceil(log2(total) / 8) passes over the global index
 * among the weights tied at the threshold. Each pass: one digit histogram per tensor (accumulated atomically into
 * one 256-bin histogram), then one thread picks the digit. Passes ≈ 8 × (tensors + 2) dispatches, no readback.
 */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WebGPUBackendLike;
  const xs = orderedInputs(inputs as Record<string, TensorInfo>);
  const { k } = attrs as unknown as { k: number };
  const sizes = xs.map((t) => t.shape.reduce((p, d) => p * d, 1));
  const total = sizes.reduce((p, q) => p + q, 0);
  let state = b.makeTensorInfo([4], 'int32', Int32Array.of(0, k, 0, 0));
  const digitProgram = (count: number, groups: number) => makeProgram({
    name: 'magnitude-threshold-digits', inputs: ['x', 'state'], outputShape: [256], workgroupSize: [DIGIT_WG, 1, 1],
    dispatch: [groups, 1, 1], flat: true, atomic: true, uniforms: DIGIT_UNIFORMS, code: digitHistogramShader(),
  });
  const passes = [...shifts(31).map((s) => [0, s] as const), ...shifts(Math.ceil(Math.log2(Math.max(total, 2)))).map((s) => [1, s] as const)];
  for (const [phase, shift] of passes) {
    const highMask = shift + 8 >= 32 ? 0 : (0xffffffff << (shift + 8)) >>> 0;
    const hist = zeros(b, [256], 'int32');
    let offset = 0;
    xs.forEach((x, j) => {
      const count = sizes[j]!;
      if (count === 0) return; // WebGPU cannot bind an empty buffer, and there is nothing to count
      const groups = Math.min(1024, Math.max(1, Math.ceil(count / (DIGIT_WG * 16))));
      const stride = groups * DIGIT_WG;
      runProgram(b, digitProgram(count, groups), [x, state], 'int32', [i32(count), i32(stride),
        i32(Math.ceil(count / stride)), u32(offset), u32(shift), u32(highMask), i32(phase)], hist);
      offset += count;
    });
    const next = runProgram(b, makeProgram({
      name: 'magnitude-threshold-select', inputs: ['hist', 'state'], outputShape: [4], workgroupSize: [1, 1, 1],
      dispatch: [1, 1, 1], flat: true, uniforms: SELECT_UNIFORMS, code: selectDigitShader(),
    }), [hist, state], 'int32', [u32(shift), i32(phase)]);
    disposeIntermediate(b, hist, state);
    state = next;
  }
  const finish = (float: boolean) => runProgram(b, makeProgram({
    name: 'magnitude-threshold-finish', variant: float ? 'value' : 'index', inputs: ['state'], outputShape: [],
    workgroupSize: [1, 1, 1], dispatch: [1, 1, 1], flat: true, uniforms: FINISH_UNIFORMS, code: finishShader({ float }),
  }), [state], float ? 'float32' : 'int32', [i32(k), i32(0)]);
  const out = [finish(true), finish(false)];
  disposeIntermediate(b, state);
  return out;
}) as unknown as KernelFunc;

export const magnitudeThresholdWebgpu: KernelSpec = { kernelName: 'MagnitudeThreshold', backendName: 'webgpu', kernelFunc };
