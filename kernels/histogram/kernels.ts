import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { kernelsFor, ptr, type WasmBackendLike } from '../wasm/loader.js';
import type { KernelArgs, KernelSpec } from '../types.js';
import { histogramRef, histogramScale } from './reference.js';

type Attrs = { bins: number; min: number; max: number };

/** cpu: the reference. */
const cpuFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as { readSync(id: object): ArrayLike<number>; makeTensorInfo(s: number[], d: string, v: Int32Array): TensorInfo };
  const { x } = inputs as { x: TensorInfo };
  const a = attrs as unknown as Attrs;
  return b.makeTensorInfo([a.bins], 'int32', histogramRef(b.readSync(x.dataId), a));
}) as unknown as KernelFunc;

/** wasm: zero-copy, counts written straight into the output tensor. */
const wasmFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const { x } = inputs as { x: TensorInfo };
  const a = attrs as unknown as Attrs;
  const out = b.makeOutput([a.bins], 'int32');
  const n = x.shape.reduce((p, q) => p * q, 1);
  kernelsFor(b).histogram(ptr(b, x), n, ptr(b, out), a.bins, a.min, histogramScale(a));
  return out;
}) as unknown as KernelFunc;

export const histogramCpu: KernelSpec = { kernelName: 'Histogram', backendName: 'cpu', kernelFunc: cpuFunc };
export const histogramWasm: KernelSpec = { kernelName: 'Histogram', backendName: 'wasm', kernelFunc: wasmFunc };
