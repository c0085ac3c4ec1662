import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry } from '../conv-geometry.js';
import { runMatMulInt8 } from '../matmul-int8/webgpu.js';
import type { KernelArgs, KernelSpec } from '../types.js';
import { disposeIntermediate, flatDispatch, i32, makeProgram, runProgram } from '../webgpu/program.js';
import type { WebGPUBackendLike } from '../webgpu/types.js';
import type { Conv2DInt8Attrs } from './index.js';
import { IM2COL_UNIFORMS, im2colInt8Shader } from './shader.js';

const WG = 64;

/** webgpu: packed im2col rows (B·OH·OW × ceil(K/4) words), then the tiled MatMulInt8 writes NHWC directly. */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WebGPUBackendLike;
  const { x, w, wScale, bias } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as Conv2DInt8Attrs;
  const [batch, h, width] = x!.shape as number[];
  const g = convGeometry({ op: 'conv2d-int8', xShape: [batch!, h!, width!, a.filterShape[2]], filterShape: a.filterShape,
    strides: a.strides, pad: a.pad });
  const K = g.FH * g.FW * g.Ci, Kw = Math.ceil(K / 4);
  const rows = g.B * g.OH * g.OW;
  const count = rows * Kw;
  const im2col = runProgram(b, makeProgram({
    name: 'conv2d-int8-im2col', inputs: ['x'], outputShape: [rows, Kw], workgroupSize: [WG, 1, 1],
    dispatch: flatDispatch(count, WG), flat: true, uniforms: IM2COL_UNIFORMS, code: im2colInt8Shader(),
  }), [x!], 'int32', [i32(g.H), i32(g.W), i32(g.Ci), i32(Math.ceil(g.Ci / 4)), i32(g.OH), i32(g.OW), i32(g.FW),
    i32(g.sh), i32(g.sw), i32(g.pt), i32(g.pl), i32(K), i32(Kw), i32(a.aZeroPoint), i32(count)]);
  const out = runMatMulInt8(b, { a: im2col, w: w!, wScale: wScale!, bias, m: rows, n: g.Co, k: K, aScale: a.aScale,
    aZeroPoint: a.aZeroPoint, outShape: [g.B, g.OH, g.OW, g.Co] });
  disposeIntermediate(b, im2col);
  return out;
}) as unknown as KernelFunc;

export const conv2dInt8Webgpu: KernelSpec = { kernelName: 'Conv2DInt8', backendName: 'webgpu', kernelFunc };
