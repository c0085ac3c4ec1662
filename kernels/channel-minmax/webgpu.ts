import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { disposeIntermediate, flatDispatch, i32, makeProgram, runProgram } from '../webgpu/program.js';
import type { WebGPUBackendLike } from '../webgpu/types.js';
import { CHANNEL_MINMAX_UNIFORMS, channelMinMaxShader, ROWS_PER_THREAD } from './shader.js';

const WG = 64;

/** webgpu: a tree of passes, each folding ROWS_PER_THREAD rows, until one [3, C] row block is left. */
const kernelFunc = (({ inputs, backend }: KernelArgs) => {
  const b = backend as unknown as WebGPUBackendLike;
  const { x } = inputs as { x: TensorInfo };
  const channels = x.shape[x.shape.length - 1] ?? 1;
  let rows = x.shape.reduce((p, d) => p * d, 1) / Math.max(channels, 1);
  if (rows === 0 || channels === 0) {
    // WebGPU cannot bind an empty buffer: the answer for no rows is known.
    const values = new Float32Array(3 * channels);
    values.fill(Infinity, 0, channels).fill(-Infinity, channels, 2 * channels);
    return b.makeTensorInfo([3, channels], 'float32', values);
  }
  let src = x;
  let first = true;
  for (;;) {
    const blocks = Math.max(1, Math.ceil(rows / ROWS_PER_THREAD));
    const count = blocks * channels;
    const out = runProgram(b, makeProgram({
      name: 'channel-minmax', variant: first ? 'first' : 'merge', inputs: ['x'],
      outputShape: blocks === 1 ? [3, channels] : [blocks, 3, channels], workgroupSize: [WG, 1, 1],
      dispatch: flatDispatch(count, WG), flat: true, uniforms: CHANNEL_MINMAX_UNIFORMS, code: channelMinMaxShader({ first }),
    }), [src], 'float32', [i32(rows), i32(channels), i32(ROWS_PER_THREAD), i32(count)]);
    if (!first) disposeIntermediate(b, src);
    if (blocks === 1) return out;
    src = out;
    rows = blocks;
    first = false;
  }
}) as unknown as KernelFunc;

export const channelMinMaxWebgpu: KernelSpec = { kernelName: 'ChannelMinMax', backendName: 'webgpu', kernelFunc };
