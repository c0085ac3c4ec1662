import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, type ConvGeometry } from '../conv-geometry.js';
import { poolGeometry, type PoolGeometry } from '../max-pool-grad/geometry.js';
import type { KernelArgs, KernelSpec } from '../types.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import { poolFor, ownRows, TASK_CONV, TASK_DENSE, TASK_DEPTHWISE, type KernelPool } from '../wasm/threads.js';
import { hostOutput, type HostBackend } from '../webgpu/host.js';
import {
  AddInt8, AvgPoolInt8, clampOf, type AddInt8Attrs, DepthwiseConv2DInt8, FusedConv2DInt8, FusedMatMulInt8, MaxPoolInt8,
  type FusedConv2DInt8Attrs, type FusedMatMulInt8Attrs, type Int8Epilogue, type PoolInt8Attrs,
} from './index.js';
import { addInt8Ref, convAccRef, epilogueRef, matMulAccRef, poolInt8Ref } from './reference.js';

type Inputs = Record<string, TensorInfo | undefined>;
export type WasmBackend = WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };

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

/** AddInt8's output: packed like its inputs, or float32 [..., channels]. */
function addOutput(a: TensorInfo, at: AddInt8Attrs): { shape: number[]; dtype: 'float32' | 'int32' } {
  return outputOf(a.shape.slice(0, -1), at.channels, at);
}

const addCpu = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as HostBackend;
  const { a, b: y } = inputs as Inputs;
  const at = attrs as unknown as AddInt8Attrs;
  const o = addOutput(a!, at);
  return hostOutput(b, o.shape, o.dtype, addInt8Ref({ a: b.readSync(a!.dataId), b: b.readSync(y!.dataId), at }));
}) as unknown as KernelFunc;

// ---- wasm: kernels/wasm/assembly, zero-copy on the backend's memory --------------------------------------------

/** The accumulators gemmI8 keeps for its epilogue: 64 rows (ROWS in kernels/wasm/assembly/int8.ts) of ceil(n/4) × 16 bytes, + 128. */
export const gemmAccBytes = (n: number) => 64 * Math.ceil(n / 4) * 16 + 128;

/** Widens a (M·lda·2 bytes of scratch), then the GEMM with the epilogue writes the output in place. */
const matMulWasm = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackend;
  const { a, w, wScale, bias, wZeroPoint } = inputs as Inputs;
  const at = attrs as unknown as FusedMatMulInt8Attrs;
  const m = a!.shape[0]!, n = w!.shape[0]!;
  const rowBytes = words(at.k) * 4, lda = Math.ceil(at.k / 8) * 8;
  const o = outputOf([m], n, at);
  const out = b.makeOutput(o.shape, o.dtype);
  const pool = poolFor(m * n * at.k);
  if (pool) {
    const [w0, sW, bi, zW] = keep(pool, b, [w!, wScale!, bias, wZeroPoint]);
    const a0 = pool.place(bytesOf(b, a!));
    runThreaded(pool, b, out, { kind: TASK_DENSE, M: m, N: n, K: at.k, lda, w: w0!, ldw: rowBytes, ldo: quantOut(at) ? words(n) * 4 : n,
      outBytes: quantOut(at) ? 1 : 4, sA: at.aScale, sW: sW!, bias: bi ?? 0, zW: zW ?? 0, zA: at.aZeroPoint, e: at,
      rest: [a0, rowBytes, pool.scratch(gemmAccBytes(n) * pool.threads)] });
    return out;
  }
  const mod = kernelsFor(b);
  withScratch(b, [m * lda * 2, m * 4, gemmAccBytes(n)], (a16, sums, acc) => {
    mod.widenRows(ptr(b, a!), rowBytes, m, at.k, at.aZeroPoint, a16!, lda, sums!);
    mod.gemmI8(a16!, lda, ptr(b, w!), rowBytes, m, n, at.k, ptr(b, out), quantOut(at) ? words(n) * 4 : n, at.aScale,
      ptr(b, wScale!), bias ? ptr(b, bias) : 0, wZeroPoint ? ptr(b, wZeroPoint) : 0, sums!, ...epilogueArgs(at), acc!);
  });
  return out;
}) as unknown as KernelFunc;

/**
 * The direct conv of kernels/wasm/assembly/int8-conv.ts (no im2col): the filter repacked into int16 pairs
 * (ceil(Co/8)·FH·ceil(FW·Ci/2)·32 bytes of scratch), one zero-padded int16 copy of an image at a time
 * ((Hp·Wp·Ci + 32)·2 bytes) and the accumulators of 64 output pixels (and one row more: the epilogue's constants may start past the tiled channels; then a pass's 64 pixel addresses and the tile epilogue's 128 bytes of terms), then the epilogue writes the output in place. Also Conv2DInt8's wasm kernel (float
 * output, no clamp).
 */
export function convInt8Wasm(b: WasmBackend, o: { x: TensorInfo; w: TensorInfo; wScale: TensorInfo; bias?: TensorInfo;
  g: ConvGeometry; aScale: number; aZeroPoint: number; e: Int8Epilogue }): TensorInfo {
  const { g, e } = o;
  const d = directConvDims(g);
  const shape = outputOf([g.B, g.OH, g.OW], g.Co, e);
  const out = b.makeOutput(shape.shape, shape.dtype);
  const ldo = quantOut(e) ? words(g.Co) * 4 : g.Co;
  const pool = poolFor(g.B * g.OH * g.OW * g.Co * g.FH * g.FW * g.Ci);
  if (pool) {
    const [sW, bi] = keep(pool, b, [o.wScale, o.bias]);
    // The packed filter, made once in the backend's heap (packedFilter) and copied once.
    const wq = pool.place(() => { const at = packedFilter(b, o.w, g, d); return b.wasm.HEAPU8.subarray(at, at + d.wqBytes); },
      packedKey(o.w.dataId));
    const M = g.B * g.OH, own = ownRows(M, pool.threads);
    const x0 = placeImagesFrom(pool, b, o.x, Math.floor(own / g.OH));
    const xw = pool.scratch((d.xwBytes + d.accBytes) * pool.threads);
    const rowBytes = g.OW * ldo * (quantOut(e) ? 1 : 4);
    const dst = pool.scratch(M * rowBytes);
    const [lo, hi, oScale, oZp] = epilogueArgs(e);
    const mod = kernelsFor(b), wqOwn = packedFilter(b, o.w, g, d);
    pool.run({ kind: TASK_CONV, M, N: g.Co, K: d.K, a16: xw, lda: d.xwBytes + d.accBytes, w: wq, ldw: d.xwBytes, out: dst, ldo,
      outBytes: quantOut(e) ? 1 : 4, sA: o.aScale, sW: sW!, bias: bi ?? 0, zW: 0, sums: 0, lo, hi, oScale, oZp, zA: o.aZeroPoint,
      rest: [x0, words(g.Ci) * 4, g.H, g.W, g.Ci, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl, d.Hp, d.Wp, g.OH] },
    () => withScratch(b, [d.xwBytes, d.accBytes], (xs, acc) => {
      mod.convI8(ptr(b, o.x), words(g.Ci) * 4, g.H, g.W, g.Ci, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl, d.Hp, d.Wp,
        o.aZeroPoint, wqOwn, g.Co, o.aScale, ptr(b, o.wScale), o.bias ? ptr(b, o.bias) : 0, ptr(b, out), ldo, lo, hi, oScale, oZp,
        xs!, acc!, 0, own);
    }));
    b.wasm.HEAPU8.set(pool.view(dst + own * rowBytes, (M - own) * rowBytes), ptr(b, out) + own * rowBytes);
    return out;
  }
  const mod = kernelsFor(b);
  const wq = packedFilter(b, o.w, g, d);
  withScratch(b, [d.xwBytes, d.accBytes], (xw, acc) => {
    mod.convI8(ptr(b, o.x), words(g.Ci) * 4, g.H, g.W, g.Ci, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl, d.Hp, d.Wp,
      o.aZeroPoint, wq, g.Co, o.aScale, ptr(b, o.wScale), o.bias ? ptr(b, o.bias) : 0, ptr(b, out), ldo, ...epilogueArgs(e),
      xw!, acc!, 0, g.B * g.OH);
  });
  return out;
}

/** A key of its own for a weight's packed form in the kernel threads' memory (the raw weight may be kept too). */
const packedKeys = new WeakMap<object, object>();
function packedKey(dataId: object): object {
  let key = packedKeys.get(dataId);
  if (!key) packedKeys.set(dataId, (key = {}));
  return key;
}

/** Bytes of packed filters kept in the wasm heap (MobileNetV2 1.4's are ~13 MB); least recently used go first. */
const PACKED_FILTER_BYTES = 32 << 20;
const packedFilters = new WeakMap<WasmBackend, Map<object, { at: number; bytes: number; shape: string }>>();

/**
 * packConvI8's filter for w, made once per weight tensor and kept: a model runs the same weight tensors every call,
 * so only its first run packs (at batch 1 the repacking was ~2% of MobileNetV2's time). Keyed by the tensor's backend
 * data, which tfjs never rewrites in place (a new value is a new dataId), so a kept copy cannot go stale.
 */
function packedFilter(b: WasmBackend, w: TensorInfo, g: ConvGeometry, d: ReturnType<typeof directConvDims>): number {
  let cache = packedFilters.get(b);
  if (!cache) packedFilters.set(b, (cache = new Map()));
  const shape = `${g.Co},${g.FH},${g.FW},${g.Ci}`;
  const hit = cache.get(w.dataId);
  if (hit && hit.shape === shape) {
    cache.delete(w.dataId);
    cache.set(w.dataId, hit);
    return hit.at;
  }
  if (hit) { b.wasm._free(hit.at); cache.delete(w.dataId); }
  let total = d.wqBytes;
  for (const e of cache.values()) total += e.bytes;
  for (const [key, e] of cache) {
    if (total <= PACKED_FILTER_BYTES) break;
    b.wasm._free(e.at);
    total -= e.bytes;
    cache.delete(key);
  }
  const at = b.wasm._malloc(Math.max(16, d.wqBytes)) >>> 0;
  kernelsFor(b).packConvI8(ptr(b, w), words(d.K) * 4, g.Co, g.FH, g.FW * g.Ci, d.pairs, at);
  cache.set(w.dataId, { at, bytes: d.wqBytes, shape });
  return at;
}

/** The padded image (Hp × Wp pixels: the input inside its zero frame, enough for every tap) and scratch sizes. */
function directConvDims(g: ConvGeometry) {
  const Hp = Math.max(g.pt + g.H, (g.OH - 1) * g.sh + g.FH), Wp = Math.max(g.pl + g.W, (g.OW - 1) * g.sw + g.FW);
  const pairs = Math.ceil((g.FW * g.Ci) / 2);
  return { Hp, Wp, pairs, K: g.FH * g.FW * g.Ci, wqBytes: Math.ceil(g.Co / 8) * 32 * g.FH * pairs,
    accBytes: (64 + 1) * Math.ceil(g.Co / 8) * 32 + 128 + 64 * 4 + 128,
    xwBytes: Math.ceil(((Hp * Wp * g.Ci + 32) * 2) / 16) * 16 };
}

const convWasm = (({ inputs, backend, attrs }: KernelArgs) => {
  const { x, w, wScale, bias } = inputs as Inputs;
  const at = attrs as unknown as FusedConv2DInt8Attrs;
  return convInt8Wasm(backend as unknown as WasmBackend, { x: x!, w: w!, wScale: wScale!, bias,
    g: convGeometryOf(x!, at, false), aScale: at.aScale, aZeroPoint: at.aZeroPoint, e: at });
}) as unknown as KernelFunc;

/**
 * Scratch of kernels/wasm/assembly/int8-depthwise.ts: M = 1, the filter's int16 tap pairs and the accumulators' start
 * values, a ring of FH rows of the zero-point-framed input's pairs (Cs = ceil(C/16)·16 channels), and the
 * accumulators of 64 output pixels (ROWS in int8.ts) plus the epilogue's 128 bytes; any other M, Co·4 bytes.
 */
export function depthwiseScratchBytes(g: ConvGeometry): number {
  if (g.M !== 1) return g.Co * 4;
  const cs = Math.ceil(g.Ci / 16) * 16;
  const wp = Math.max(g.pl + g.W, (g.OW - 1) * g.sw + g.FW);
  return (g.FH * Math.ceil(g.FW / 2) + 1 + g.FH * wp) * cs * 4 + 64 * Math.ceil(g.Ci / 4) * 16 + 128;
}

/** Direct depthwise conv, the epilogue writing the output in place; M = 1 splits its rows across the kernel threads. */
const depthwiseWasm = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackend;
  const { x, w, wScale, bias } = inputs as Inputs;
  const at = attrs as unknown as FusedConv2DInt8Attrs;
  const g = convGeometryOf(x!, at, true);
  const o = outputOf([g.B, g.OH, g.OW], g.Co, at);
  const out = b.makeOutput(o.shape, o.dtype);
  const ldo = quantOut(at) ? words(g.Co) * 4 : g.Co;
  const pool = g.M === 1 ? poolFor(g.B * g.OH * g.OW * g.Co * g.FH * g.FW) : null;
  const mod = kernelsFor(b);
  if (pool) {
    const [w0, sW, bi] = keep(pool, b, [w!, wScale!, bias]);
    const M = g.B * g.OH, own = ownRows(M, pool.threads);
    const x0 = placeImagesFrom(pool, b, x!, Math.floor(own / g.OH));
    const per = depthwiseScratchBytes(g);
    const scratch = pool.scratch(per * pool.threads);
    const rowBytes = g.OW * ldo * (quantOut(at) ? 1 : 4);
    const dst = pool.scratch(M * rowBytes);
    const [lo, hi, oScale, oZp] = epilogueArgs(at);
    pool.run({ kind: TASK_DEPTHWISE, M, N: g.Ci, K: 0, a16: scratch, lda: per, w: w0!, ldw: words(g.Co) * 4, out: dst,
      ldo, outBytes: quantOut(at) ? 1 : 4, sA: at.aScale, sW: sW!, bias: bi ?? 0, zW: 0, sums: 0, lo, hi, oScale, oZp,
      zA: at.aZeroPoint, rest: [x0, words(g.Ci) * 4, g.B, g.H, g.W, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl] },
    () => withScratch(b, [per], (s) => {
      mod.depthwiseI8(ptr(b, x!), words(g.Ci) * 4, g.B, g.H, g.W, g.Ci, 1, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl,
        at.aZeroPoint, ptr(b, w!), words(g.Co) * 4, ptr(b, out), ldo, at.aScale, ptr(b, wScale!), bias ? ptr(b, bias) : 0,
        lo, hi, oScale, oZp, s!, 0, own);
    }));
    b.wasm.HEAPU8.set(pool.view(dst + own * rowBytes, (M - own) * rowBytes), ptr(b, out) + own * rowBytes);
    return out;
  }
  withScratch(b, [depthwiseScratchBytes(g)], (scratch) => {
    mod.depthwiseI8(ptr(b, x!), words(g.Ci) * 4, g.B, g.H, g.W, g.Ci, g.M, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl,
      at.aZeroPoint, ptr(b, w!), words(g.Co) * 4, ptr(b, out), ldo, at.aScale,
      ptr(b, wScale!), bias ? ptr(b, bias) : 0, ...epilogueArgs(at), scratch!, 0, g.B * g.OH);
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

/** kernels/wasm/assembly/int8-fused.ts's addI8; rows without pad bytes (channels a multiple of 4) run as one. */
const addWasm = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackend;
  const { a, b: y } = inputs as Inputs;
  const at = attrs as unknown as AddInt8Attrs;
  const o = addOutput(a!, at);
  const out = b.makeOutput(o.shape, o.dtype);
  const cp = words(at.channels) * 4;
  const rows = a!.shape.reduce((p, d) => p * d, 1) / words(at.channels);
  const flat = cp === at.channels;
  kernelsFor(b).addI8(ptr(b, a!), ptr(b, y!), flat ? 1 : rows, flat ? rows * cp : at.channels, flat ? rows * cp : cp, at.aScale,
    at.aZeroPoint, at.bScale, at.bZeroPoint, ...epilogueArgs(at), ptr(b, out));
  return out;
}) as unknown as KernelFunc;

// ---- threads (kernels/wasm/threads.ts): rows split across the pool, on its shared memory --------------------------

function bytesOf(b: WasmBackend, t: TensorInfo): Uint8Array {
  const at = ptr(b, t);
  return b.wasm.HEAPU8.subarray(at, at + t.shape.reduce((x, y) => x * y, 1) * 4);
}

/**
 * An NHWC activation in the shared memory at its full size, only images `from`.. copied: the calling thread computes
 * the rows before them on the backend's memory (KernelPool.run's `own`), so the other threads never read those.
 */
function placeImagesFrom(pool: KernelPool, b: WasmBackend, t: TensorInfo, from: number): number {
  const all = bytesOf(b, t);
  const skip = from * (all.length / t.shape[0]!);
  const at = pool.scratch(all.length);
  pool.view(at + skip, all.length - skip).set(all.subarray(skip));
  return at;
}

/** Weights (layer variables) are copied to the shared memory once, keyed by their backend data. */
function keep(pool: KernelPool, b: WasmBackend, ts: Array<TensorInfo | undefined>): Array<number | undefined> {
  return ts.map((t) => (t ? pool.place(bytesOf(b, t), t.dataId) : undefined));
}

/** Scratch for a16 and sums in the shared memory, the task on every thread, the output copied back. */
function runThreaded(pool: KernelPool, b: WasmBackend, out: TensorInfo, t: {
  kind: typeof TASK_DENSE; M: number; N: number; K: number; lda: number; w: number; ldw: number; ldo: number;
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
  spec(AddInt8, 'cpu', addCpu), spec(AddInt8, 'wasm', addWasm),
];
