import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, type ConvGeometry } from '../conv-geometry.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import type { KernelArgs, KernelSpec } from '../types.js';
import type { Conv2DInt8Attrs } from './index.js';
import { conv2dInt8Ref } from './reference.js';

function geometry(x: TensorInfo, a: Conv2DInt8Attrs): ConvGeometry {
  const [b, h, w] = x.shape as number[];
  return convGeometry({ op: 'conv2d-int8', xShape: [b!, h!, w!, a.filterShape[2]], filterShape: a.filterShape,
    strides: a.strides, pad: a.pad });
}

type CpuBackend = { readSync(id: object): ArrayLike<number>; makeTensorInfo(s: number[], d: string, v: Float32Array): TensorInfo };

/** cpu: the reference. */
const cpuFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as CpuBackend;
  const { x, w, wScale, bias } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as Conv2DInt8Attrs;
  const g = geometry(x!, a);
  const values = conv2dInt8Ref({ x: b.readSync(x!.dataId), w: b.readSync(w!.dataId), g, aScale: a.aScale,
    aZeroPoint: a.aZeroPoint, wScale: b.readSync(wScale!.dataId), bias: bias && b.readSync(bias.dataId) });
  return b.makeTensorInfo([g.B, g.OH, g.OW, g.Co], 'float32', values);
}) as unknown as KernelFunc;

/**
 * wasm: im2col straight from the packed tensor into int16 rows with the zero point removed (scratch:
 * B·OH·OW × K·2 bytes), then the MatMulInt8 GEMM writes the output in place. Inputs are read zero-copy.
 */
const wasmFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const { x, w, wScale, bias } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as Conv2DInt8Attrs;
  const g = geometry(x!, a);
  const K = g.FH * g.FW * g.Ci;
  const lda = Math.ceil(K / 8) * 8;
  const rows = g.B * g.OH * g.OW;
  const out = b.makeOutput([g.B, g.OH, g.OW, g.Co], 'float32');
  const mod = kernelsFor(b);
  withScratch(b, [rows * lda * 2, rows * 4], (a16, sums) => {
    mod.im2colRows(ptr(b, x!), Math.ceil(g.Ci / 4) * 4, g.B, g.H, g.W, g.Ci, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw,
      g.pt, g.pl, 1, 1, a.aZeroPoint, a16!, lda, sums!);
    mod.gemmI8(a16!, lda, ptr(b, w!), Math.ceil(K / 4) * 4, rows, g.Co, K, ptr(b, out), g.Co, a.aScale,
      ptr(b, wScale!), bias ? ptr(b, bias) : 0, 0, sums!, -Infinity, Infinity, 0, 0);
  });
  return out;
}) as unknown as KernelFunc;

export const conv2dInt8Cpu: KernelSpec = { kernelName: 'Conv2DInt8', backendName: 'cpu', kernelFunc: cpuFunc };
export const conv2dInt8Wasm: KernelSpec = { kernelName: 'Conv2DInt8', backendName: 'wasm', kernelFunc: wasmFunc };
