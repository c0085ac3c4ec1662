import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, type ConvGeometry } from '../conv-geometry.js';
import { convInt8Wasm, type WasmBackend } from '../fused-int8/kernels.js';
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

/** wasm: the fused kernels' direct conv (kernels/fused-int8/kernels.ts) with a float32, unclamped epilogue. */
const wasmFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const { x, w, wScale, bias } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as Conv2DInt8Attrs;
  return convInt8Wasm(backend as unknown as WasmBackend, { x: x!, w: w!, wScale: wScale!, bias, g: geometry(x!, a),
    aScale: a.aScale, aZeroPoint: a.aZeroPoint, e: { activation: 'linear' } });
}) as unknown as KernelFunc;

export const conv2dInt8Cpu: KernelSpec = { kernelName: 'Conv2DInt8', backendName: 'cpu', kernelFunc: cpuFunc };
export const conv2dInt8Wasm: KernelSpec = { kernelName: 'Conv2DInt8', backendName: 'wasm', kernelFunc: wasmFunc };
