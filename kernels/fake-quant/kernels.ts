import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import type { KernelArgs, KernelSpec } from '../types.js';
import { fakeQuantRef } from './reference.js';

type CpuBackend = { readSync(id: object): ArrayLike<number>; makeTensorInfo(s: number[], d: string, v: Float32Array): TensorInfo };

/** cpu: the reference. */
const cpuFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as CpuBackend;
  const { x, scale, zeroPoint } = inputs as Record<string, TensorInfo>;
  const { qmin, qmax } = attrs as unknown as { qmin: number; qmax: number };
  const values = fakeQuantRef({ x: b.readSync(x!.dataId), scale: b.readSync(scale!.dataId),
    zeroPoint: b.readSync(zeroPoint!.dataId), qmin, qmax });
  return b.makeTensorInfo(x!.shape, 'float32', values);
}) as unknown as KernelFunc;

/** wasm: x, scale and the output zero-copy; the C zero points are copied into int32 scratch (C words). */
const wasmFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo;
    readSync(id: object): ArrayLike<number> };
  const { x, scale, zeroPoint } = inputs as Record<string, TensorInfo>;
  const { qmin, qmax } = attrs as unknown as { qmin: number; qmax: number };
  const zps = b.readSync(zeroPoint!.dataId);
  const out = b.makeOutput(x!.shape, 'float32');
  const n = x!.shape.reduce((p, q) => p * q, 1);
  withScratch(b, [zps.length * 4], (zp) => {
    new Int32Array(b.wasm.HEAPU8.buffer, zp!, zps.length).set(Array.from(zps, Math.round));
    kernelsFor(b).fakeQuant(ptr(b, x!), ptr(b, out), n, zps.length, ptr(b, scale!), zp!, qmin, qmax);
  });
  return out;
}) as unknown as KernelFunc;

export const fakeQuantCpu: KernelSpec = { kernelName: 'FakeQuant', backendName: 'cpu', kernelFunc: cpuFunc };
export const fakeQuantWasm: KernelSpec = { kernelName: 'FakeQuant', backendName: 'wasm', kernelFunc: wasmFunc };
