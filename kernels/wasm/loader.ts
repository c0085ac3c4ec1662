/**
 * Loads our SIMD module (kernels/wasm/assembly) into the memory of tfjs-backend-wasm, so kernels read and write
 * tensors where the backend keeps them: zero-copy. The module has no data segments and no heap of its own;
 * scratch space comes from the backend's own malloc.
 */
import { ShrinkmlError } from '../../src/core/errors.js';
import { KERNELS_WASM_BASE64 } from './module.generated.js';

/** The exports of kernels/wasm/assembly/index.ts (pointers are byte offsets into the shared memory). */
export interface KernelExports {
  conv2dBackpropFilter(x: number, dy: number, dw: number, ...dims: number[]): void;
  conv2dBackpropInput(dy: number, w: number, dx: number, wt: number, ...dims: number[]): void;
  conv2dBackpropInputDot(dyP: number, wP: number, dx: number, ...dims: number[]): void;
  depthwiseBackpropFilter(x: number, dy: number, dw: number, ...dims: number[]): void;
  depthwiseBackpropInput(dy: number, w: number, dx: number, ...dims: number[]): void;
  widenRows(a: number, strideA: number, m: number, k: number, zA: number, a16: number, lda: number, sums: number): void;
  packConvI8(w: number, ldw: number, co: number, fh: number, seg: number, pairs: number, wq: number): void;
  convI8(x: number, pixelStride: number, ...rest: number[]): void;
  gemmI8(a16: number, lda: number, w: number, ldw: number, m: number, n: number, k: number, out: number, ldo: number,
    sA: number, sW: number, bias: number, zW: number, sums: number, lo: number, hi: number, oScale: number, oZp: number,
    acc: number): void;
  quantizeRows(x: number, rows: number, k: number, scale: number, zp: number, qmin: number, qmax: number, out: number, ldo: number): void;
  depthwiseI8(x: number, pixStride: number, ...rest: number[]): void;
  maxPoolI8(x: number, ...rest: number[]): void;
  avgPoolI8(x: number, ...rest: number[]): void;
  addI8(a: number, b: number, rows: number, c: number, cp: number, sA: number, zA: number, sB: number, zB: number, lo: number,
    hi: number, oScale: number, oZp: number, out: number): void;
  fakeQuant(x: number, y: number, n: number, c: number, scales: number, zps: number, qmin: number, qmax: number): void;
  padChannels(src: number, rows: number, c: number, dst: number, cp: number): void;
  unpadChannels(src: number, rows: number, cp: number, dst: number, c: number): void;
  maxPoolGrad(x: number, dy: number, dx: number, ...dims: number[]): void;
  histogram(x: number, n: number, counts: number, bins: number, lo: number, scale: number): void;
  batchNormGrad(x: number, dy: number, rows: number, c: number, ...rest: number[]): void;
  matmulF32(a: number, sam: number, sak: number, b: number, out: number, k: number, m: number, n: number, m0: number, m1: number): void;
  transposeF32(src: number, rows: number, cols: number, dst: number): void;
  suffixBinary(big: number, n: number, small: number, s: number, out: number, op: number, smallFirst: boolean, pat: number): void;
  channelSum(x: number, rows: number, c: number, out: number, mean: boolean): void;
}

/** The parts of tfjs-backend-wasm's BackendWasm we use (it is not exported as a type we can import cheaply). */
export interface WasmBackendLike {
  wasm: {
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    HEAPU8: Uint8Array;
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
  };
  getMemoryOffset(dataId: object): number;
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<object, KernelExports>();

/** The module's bytes (kernels/wasm/threads.ts patches a copy to import a shared memory). */
export function bytes(): Uint8Array<ArrayBuffer> {
  const text = atob(KERNELS_WASM_BASE64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Compiles the module once, asynchronously (browsers refuse synchronous compiles of modules over 4 KB). */
export async function compileKernels(): Promise<void> {
  compiled ??= await WebAssembly.compile(bytes());
}

function memoryOf(backend: WasmBackendLike): WebAssembly.Memory {
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new ShrinkmlError('BACKEND', 'kernels/wasm: cannot find the WebAssembly.Memory of tfjs-backend-wasm', {
      suggestion: 'use @tensorflow/tfjs-backend-wasm 4.22',
    });
  }
  if (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer) {
    throw new ShrinkmlError('UNSUPPORTED', 'kernels/wasm: the multi-threaded wasm backend (shared memory) is not supported', {
      suggestion: "call tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false) before tf.setBackend('wasm')",
    });
  }
  return memory;
}

/** Our module instantiated on this backend's memory (one instance per backend object). */
export function kernelsFor(backend: WasmBackendLike): KernelExports {
  let k = instances.get(backend);
  if (k) return k;
  compiled ??= new WebAssembly.Module(bytes()); // Node, or a browser worker, when registerKernels was not awaited
  const instance = new WebAssembly.Instance(compiled, { env: { memory: memoryOf(backend) } });
  k = instance.exports as unknown as KernelExports;
  instances.set(backend, k);
  return k;
}

/** Runs `fn` with scratch buffers of the given byte sizes from the backend's malloc, freed afterwards. */
export function withScratch<T>(backend: WasmBackendLike, sizes: number[], fn: (...ptrs: number[]) => T): T {
  const ptrs = sizes.map((n) => backend.wasm._malloc(Math.max(16, n)) >>> 0);
  try {
    return fn(...ptrs);
  } finally {
    for (const p of ptrs) backend.wasm._free(p);
  }
}

/** Byte offset of a tensor in the shared memory. */
export function ptr(backend: WasmBackendLike, t: { dataId: object }): number {
  return backend.getMemoryOffset(t.dataId);
}
