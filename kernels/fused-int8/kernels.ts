import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, type ConvGeometry } from '../conv-geometry.js';
import { poolGeometry, type PoolGeometry } from '../max-pool-grad/geometry.js';
import type { KernelArgs, KernelSpec } from '../types.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import { kernelPool, TASK_CONV, TASK_DENSE, type KernelPool } from '../wasm/threads.js';
import { hostOutput, type HostBackend } from '../webgpu/host.js';
import {
  AvgPoolInt8, clampOf, DepthwiseConv2DInt8, FusedConv2DInt8, FusedMatMulInt8, MaxPoolInt8,
  type FusedConv2DInt8Attrs, type FusedMatMulInt8Attrs, type Int8Epilogue, type PoolInt8Attrs,
} from './index.js';
import { convAccRef, epilogueRef, matMulAccRef, poolInt8Ref } from './reference.js';

type Inputs = Record<string, TensorInfo | undefined>;
type WasmBackend = WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };

const words = (n: number) => Math.ceil(n / 4);
const quantOut = (e: Int8Epilogue) => e.outScale !== undefined;

/** Output shape and dtype: the float result [..., n], or packed int8 [..., ceil(n/4)]. */
function outputOf(lead: number[], n: number, e: Int8Epilogue): { shape: number[]; dtype: 'float32' | 'int32' } {
  return quantOut(e) ? { shape: [...lead, words(n)], dtype: 'int32' } : { shape: [...lead, n], dtype: 'float32' };
}

export function convGeometryOf(x: TensorInfo, a: FusedConv2DInt8Attrs, depthwise: boolean): ConvGeometry {
  const [b, h, w] = x.shape as number[];
  return convGeometry({ op: 'fused-int8', xShape: [b!, h!, w!, a.filterShape[2]], filterShape: a.filterShape,
    strides: a.strides, pad: a.pad, depthwise });
}

export function poolGeometryOf(x: TensorInfo, a: PoolInt8Attrs): PoolGeometry {
  return poolGeometry({ xShape: x.shape as number[], filterSize: a.filterSize, strides: a.strides, pad: a.pad });
}

/** wasm epilogue arguments: clamp, output scale (0 = float output) and zero point. */
function epilogueArgs(e: Int8Epilogue): [number, number, number, number] {
  const [lo, hi] = clampOf(e.activation);
  return [lo, hi, e.outScale ?? 0, e.outZeroPoint ?? 0];
}

// ---- cpu: the references --------------------------------------------------------------------------------------

const matMulCpu = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as HostBackend;
  const { a, w, wScale, bias, wZeroPoint } = inputs as Inputs;
  const at = attrs as unknown as FusedMatMulInt8Attrs;
  const m = a!.shape[0]!, n = w!.shape[0]!;
  const acc = matMulAccRef({ a: b.readSync(a!.dataId), w: b.readSync(w!.dataId), m, n, k: at.k, aZeroPoint: at.aZeroPoint,
    wZeroPoint: wZeroPoint && b.readSync(wZeroPoint.dataId) });
  const values = epilogueRef({ acc, rows: m, n, aScale: at.aScale, wScale: b.readSync(wScale!.dataId),
    bias: bias && b.readSync(bias.dataId), e: at });
  const o = outputOf([m], n, at);
  return hostOutput(b, o.shape, o.dtype, values);
}) as unknown as KernelFunc;

function convCpu(depthwise: boolean): KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const b = backend as HostBackend;
    const { x, w, wScale, bias } = inputs as Inputs;
    const at = attrs as unknown as FusedConv2DInt8Attrs;
    const g = convGeometryOf(x!, at, depthwise);
    const acc = convAccRef({ x: b.readSync(x!.dataId), w: b.readSync(w!.dataId), g, aZeroPoint: at.aZeroPoint, depthwise });
    const values = epilogueRef({ acc, rows: g.B * g.OH * g.OW, n: g.Co, aScale: at.aScale, wScale: b.readSync(wScale!.dataId),
      bias: bias && b.readSync(bias.dataId), e: at });
    const o = outputOf([g.B, g.OH, g.OW], g.Co, at);
    return hostOutput(b, o.shape, o.dtype, values);
  }) as unknown as KernelFunc;
}

function poolCpu(max: boolean): KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const b = backend as HostBackend;
    const x = (inputs as Inputs).x!;
    const g = poolGeometryOf(x, attrs as unknown as PoolInt8Attrs);
    return hostOutput(b, [g.B, g.OH, g.OW, g.C], 'int32', poolInt8Ref({ x: b.readSync(x.dataId), g, max }));
  }) as unknown as KernelFunc;
}

// ---- wasm: kernels/wasm/assembly, zero-copy on the backend's memory --------------------------------------------

/** Widens a (M·lda·2 bytes of scratch), then the GEMM with the epilogue writes the output in place. */
const matMulWasm = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackend;
  const { a, w, wScale, bias, wZeroPoint } = inputs as Inputs;
  const at = attrs as unknown as FusedMatMulInt8Attrs;
  const m = a!.shape[0]!, n = w!.shape[0]!;
  const rowBytes = words(at.k) * 4, lda = Math.ceil(at.k / 8) * 8;
  const o = outputOf([m], n, at);
  const out = b.makeOutput(o.shape, o.dtype);
  const pool = threaded(m * n * at.k);
  if (pool) {
    const [w0, sW, bi, zW] = keep(pool, b, [w!, wScale!, bias, wZeroPoint]);
    const a0 = pool.place(bytesOf(b, a!));
    runThreaded(pool, b, out, { kind: TASK_DENSE, M: m, N: n, K: at.k, lda, w: w0!, ldw: rowBytes, ldo: quantOut(at) ? words(n) * 4 : n,
      outBytes: quantOut(at) ? 1 : 4, sA: at.aScale, sW: sW!, bias: bi ?? 0, zW: zW ?? 0, zA: at.aZeroPoint, e: at,
      rest: [a0, rowBytes] });
    return out;
  }
  const mod = kernelsFor(b);
  withScratch(b, [m * lda * 2, m * 4], (a16, sums) => {
    mod.widenRows(ptr(b, a!), rowBytes, m, at.k, at.aZeroPoint, a16!, lda, sums!);
    mod.gemmI8(a16!, lda, ptr(b, w!), rowBytes, m, n, at.k, ptr(b, out), quantOut(at) ? words(n) * 4 : n, at.aScale,
      ptr(b, wScale!), bias ? ptr(b, bias) : 0, wZeroPoint ? ptr(b, wZeroPoint) : 0, sums!, ...epilogueArgs(at));
  });
  return out;
}) as unknown as KernelFunc;

/** im2col into int16 rows (B·OH·OW × K·2 bytes of scratch), then the GEMM with the epilogue. */
const convWasm = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackend;
  const { x, w, wScale, bias } = inputs as Inputs;
  const at = attrs as unknown as FusedConv2DInt8Attrs;
  const g = convGeometryOf(x!, at, false);
  const K = g.FH * g.FW * g.Ci, lda = Math.ceil(K / 8) * 8, rows = g.B * g.OH * g.OW;
  const o = outputOf([g.B, g.OH, g.OW], g.Co, at);
  const out = b.makeOutput(o.shape, o.dtype);
  const pool = threaded(rows * g.Co * K);
  if (pool) {
    const [w0, sW, bi] = keep(pool, b, [w!, wScale!, bias]);
    const x0 = pool.place(bytesOf(b, x!));
    runThreaded(pool, b, out, { kind: TASK_CONV, M: rows, N: g.Co, K, lda, w: w0!, ldw: words(K) * 4,
      ldo: quantOut(at) ? words(g.Co) * 4 : g.Co, outBytes: quantOut(at) ? 1 : 4, sA: at.aScale, sW: sW!, bias: bi ?? 0, zW: 0,
      zA: at.aZeroPoint, e: at, rest: [x0, words(g.Ci) * 4, g.H, g.W, g.Ci, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl] });
    return out;
  }
  const mod = kernelsFor(b);
  withScratch(b, [rows * lda * 2, rows * 4], (a16, sums) => {
    mod.im2colRows(ptr(b, x!), words(g.Ci) * 4, g.B, g.H, g.W, g.Ci, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl,
      1, 1, at.aZeroPoint, a16!, lda, sums!);
    mod.gemmI8(a16!, lda, ptr(b, w!), words(K) * 4, rows, g.Co, K, ptr(b, out), quantOut(at) ? words(g.Co) * 4 : g.Co,
      at.aScale, ptr(b, wScale!), bias ? ptr(b, bias) : 0, 0, sums!, ...epilogueArgs(at));
  });
  return out;
}) as unknown as KernelFunc;

/** Direct depthwise conv (Co·4 bytes of scratch for the accumulators). */
const depthwiseWasm = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackend;
  const { x, w, wScale, bias } = inputs as Inputs;
  const at = attrs as unknown as FusedConv2DInt8Attrs;
  const g = convGeometryOf(x!, at, true);
  const o = outputOf([g.B, g.OH, g.OW], g.Co, at);
  const out = b.makeOutput(o.shape, o.dtype);
  const mod = kernelsFor(b);
  withScratch(b, [g.Co * 4], (acc) => {
    mod.depthwiseI8(ptr(b, x!), words(g.Ci) * 4, g.B, g.H, g.W, g.Ci, g.M, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl,
      at.aZeroPoint, ptr(b, w!), words(g.Co) * 4, ptr(b, out), quantOut(at) ? words(g.Co) * 4 : g.Co, at.aScale,
      ptr(b, wScale!), bias ? ptr(b, bias) : 0, ...epilogueArgs(at), acc!);
  });
  return out;
}) as unknown as KernelFunc;

function poolWasm(max: boolean): KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const b = backend as unknown as WasmBackend;
    const x = (inputs as Inputs).x!;
    const g = poolGeometryOf(x, attrs as unknown as PoolInt8Attrs);
    const out = b.makeOutput([g.B, g.OH, g.OW, g.C], 'int32');
    const fn = max ? kernelsFor(b).maxPoolI8 : kernelsFor(b).avgPoolI8;
    fn(ptr(b, x), g.B, g.H, g.W, g.C * 4, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl, ptr(b, out));
    return out;
  }) as unknown as KernelFunc;
}


// ---- threads (kernels/wasm/threads.ts): rows split across the pool, on its shared memory --------------------------

function threaded(macs: number): KernelPool | null {
  const pool = kernelPool();
  return pool && macs >= pool.minMacs ? pool : null;
}

function bytesOf(b: WasmBackend, t: TensorInfo): Uint8Array {
  const at = ptr(b, t);
  return b.wasm.HEAPU8.subarray(at, at + t.shape.reduce((x, y) => x * y, 1) * 4);
}

/** Weights (layer variables) are copied to the shared memory once, keyed by their backend data. */
function keep(pool: KernelPool, b: WasmBackend, ts: Array<TensorInfo | undefined>): Array<number | undefined> {
  return ts.map((t) => (t ? pool.place(bytesOf(b, t), t.dataId) : undefined));
}

/** Scratch for a16 and sums in the shared memory, the task on every thread, the output copied back. */
function runThreaded(pool: KernelPool, b: WasmBackend, out: TensorInfo, t: {
  kind: typeof TASK_CONV | typeof TASK_DENSE; M: number; N: number; K: number; lda: number; w: number; ldw: number; ldo: number;
  outBytes: number; sA: number; sW: number; bias: number; zW: number; zA: number; e: Int8Epilogue; rest: number[];
}): void {
  const outLen = t.M * t.ldo * t.outBytes;
  const a16 = pool.scratch(t.M * t.lda * 2), sums = pool.scratch(t.M * 4), o = pool.scratch(outLen);
  const [lo, hi, oScale, oZp] = epilogueArgs(t.e);
  pool.run({ ...t, a16, sums, out: o, lo, hi, oScale, oZp });
  b.wasm.HEAPU8.set(pool.view(o, outLen), ptr(b, out));
}

const spec = (kernelName: string, backendName: string, kernelFunc: KernelFunc): KernelSpec => ({ kernelName, backendName, kernelFunc });

/** The fused int8 kernels; other backends run the unfused path (runtime/ops.ts). */
export const FUSED_INT8_KERNELS: KernelSpec[] = [
  spec(FusedMatMulInt8, 'cpu', matMulCpu), spec(FusedMatMulInt8, 'wasm', matMulWasm),
  spec(FusedConv2DInt8, 'cpu', convCpu(false)), spec(FusedConv2DInt8, 'wasm', convWasm),
  spec(DepthwiseConv2DInt8, 'cpu', convCpu(true)), spec(DepthwiseConv2DInt8, 'wasm', depthwiseWasm),
  spec(MaxPoolInt8, 'cpu', poolCpu(true)), spec(MaxPoolInt8, 'wasm', poolWasm(true)),
  spec(AvgPoolInt8, 'cpu', poolCpu(false)), spec(AvgPoolInt8, 'wasm', poolWasm(false)),
];
