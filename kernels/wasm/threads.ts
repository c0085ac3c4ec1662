/**
 * Kernel threads (issue 18.2, 18.4): the fused int8 GEMMs and the float32 training kernels (conv gradients,
 * BatchMatMul) split their work across worker threads (Node worker_threads,
 * or Web Workers in a cross-origin-isolated page's worker) that share one WebAssembly.Memory with the calling
 * thread. tfjs-backend-wasm's own memory is not shared (its threaded build is off in Node, and ours refuses it),
 * so a threaded call copies its activations into the shared memory and its output back; weights are copied once
 * and kept. Off by default (1 thread): whether it pays at a model's sizes is for bench/int8-models.ts to say.
 * Where threads are unavailable (no worker_threads, a browser's main thread that may not block, no
 * SharedArrayBuffer) setKernelThreads resolves to 1 and every kernel runs as before.
 */
import { bytes, type KernelExports } from './loader.js';

/** Pages (64 KiB) the shared memory may grow to: 1 GiB of address space, reserved, not committed. */
const SHARED_MAX_PAGES = 16384;

/** Int32 slots of the control block at byte 0 of the shared memory. */
const SEQ = 0, DONE = 1, STOP = 2, THREADS = 3, FAILED = 4;
/** The task's arguments: float64 slots (pointers, sizes and float32 scales are all exact in a double). */
const ARGS_OFFSET = 64, ARGS_SLOTS = 40;
/** Where allocations start. */
const HEAP_START = 1024;

export const TASK_DENSE = 1;
export const TASK_CONV = 2;
export const TASK_DEPTHWISE = 3;
/** float32 training kernels (`KernelPool.runFloat`): slot 1 holds the count of work items the threads split. */
export const TASK_BACKPROP_INPUT = 4;
export const TASK_BACKPROP_FILTER = 5;
export const TASK_MATMUL = 6;

/**
 * One thread's share of a task: Dense, rows [r0, r1) of the GEMM (multiples of 4), widened, then multiplied with
 * the epilogue; conv, rows (image, oh) of the direct conv. Self-contained (no imports, no closures): it is also the workers'
 * code, through Function.prototype.toString. Slots: see `TaskArgs`.
 */
export function runShare(k: KernelExports, a: Float64Array, p: number, T: number): void {
  if (a[0]! >= 4) {
    // float32 training kernels: items [i0, i1) of a[1], split evenly (share 0 first, as `ownRows`).
    const per = Math.ceil(a[1]! / T);
    const i0 = Math.min(a[1]!, p * per), i1 = Math.min(a[1]!, i0 + per);
    if (i0 >= i1) return;
    if (a[0] === 4) {
      // Conv2DBackpropInput, images: [dot, dy, dyImageBytes, w, dx, dxImageBytes, wt, wtBytes, H, W, Ci, OH, OW, Co, FH, FW, sh, sw, pt, pl].
      const dims = Array.from(a.subarray(10, 22));
      if (a[2]) k.conv2dBackpropInputDot(a[3]! + i0 * a[4]!, a[5]!, a[6]! + i0 * a[7]!, i1 - i0, ...dims);
      else k.conv2dBackpropInput(a[3]! + i0 * a[4]!, a[5]!, a[6]! + i0 * a[7]!, a[8]! + p * a[9]!, i1 - i0, ...dims);
    } else if (a[0] === 5) {
      // Conv2DBackpropFilter, filter taps: [x, dy, dw, B, H, W, Ci, OH, OW, Co, FH, FW, sh, sw, pt, pl].
      k.conv2dBackpropFilter(a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!,
        a[15]!, a[16]!, a[17]!, i0, i1);
    } else {
      // matmulF32, blocks of 4 output rows: [a, sam, sak, b, out, K, M, N].
      k.matmulF32(a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, i0 * 4, Math.min(a[8]!, i1 * 4));
    }
    return;
  }
  const M = a[1]!, N = a[2]!, K = a[3]!, a16 = a[4]!, lda = a[5]!, outBytes = a[10]!, ldo = a[9]!;
  if (a[0] === 3) {
    // Depthwise (M = 1): output rows (image, oh) split evenly, each thread with its own scratch (lda bytes).
    const per = Math.ceil(M / T);
    const r0 = Math.min(M, p * per), r1 = Math.min(M, r0 + per);
    if (r0 < r1) {
      k.depthwiseI8(a[21]!, a[22]!, a[23]!, a[24]!, a[25]!, N, 1, a[26]!, a[27]!, a[28]!, a[29]!, a[30]!, a[31]!, a[32]!,
        a[33]!, a[20]!, a[6]!, a[7]!, a[8]!, ldo, a[11]!, a[12]!, a[13]!, a[16]!, a[17]!, a[18]!, a[19]!, a16 + p * lda, r0, r1);
    }
    return;
  }
  if (a[0] === 2) {
    // Conv: output rows (image, oh) split evenly; each thread widens the images its rows need into its own xw.
    const per = Math.ceil(M / T);
    const r0 = Math.min(M, p * per), r1 = Math.min(M, r0 + per);
    if (r0 < r1) {
      k.convI8(a[21]!, a[22]!, a[23]!, a[24]!, a[25]!, a[35]!, a[26]!, a[27]!, a[28]!, a[29]!, a[30]!, a[31]!, a[32]!, a[33]!,
        a[34]!, a[20]!, a[6]!, N, a[11]!, a[12]!, a[13]!, a[8]!, ldo, a[16]!, a[17]!, a[18]!, a[19]!, a16 + p * lda,
        a16 + p * lda + a[7]!, r0, r1);
    }
    return;
  }
  const per = Math.ceil(M / T / 4) * 4;
  const r0 = Math.min(M, p * per), r1 = Math.min(M, r0 + per);
  if (r0 >= r1) return;
  const sums = a[15]! + r0 * 4;
  k.widenRows(a[21]! + r0 * a[22]!, a[22]!, r1 - r0, K, a[20]!, a16 + r0 * lda * 2, lda, sums);
  k.gemmI8(a16 + r0 * lda * 2, lda, a[6]!, a[7]!, r1 - r0, N, K, a[8]! + r0 * ldo * outBytes, ldo, a[11]!, a[12]!, a[13]!,
    a[14]!, sums, a[16]!, a[17]!, a[18]!, a[19]!, a[23]! + p * (64 * Math.ceil(N / 4) * 16 + 128));
}

/** Rows [0, ownRows) of a conv or depthwise task of M rows are share 0's (runShare splits them so). */
export function ownRows(M: number, T: number): number {
  return Math.min(M, Math.ceil(M / T));
}

/** The task fields, by slot of the args block. */
export interface TaskArgs {
  kind: typeof TASK_DENSE | typeof TASK_CONV | typeof TASK_DEPTHWISE;
  M: number; N: number; K: number; a16: number; lda: number; w: number; ldw: number; out: number; ldo: number;
  /** 4: float32 output, 1: int8 output. */
  outBytes: number;
  sA: number; sW: number; bias: number; zW: number; sums: number; lo: number; hi: number; oScale: number; oZp: number; zA: number;
  /**
   * Dense: [a, strideA, acc] (acc: the threads' gemmI8 accumulators, 64·ceil(N/4)·16 + 128 bytes each). Conv (M = B·OH rows, a16/lda: the threads' scratch, lda bytes each, its first ldw bytes
   * the widened image, then the accumulators; w: the packed filter): [x, pixelStride, H, W, C, OW, FH, FW, sh, sw,
   * pt, pl, Hp, Wp, OH]. Depthwise (M = B·OH rows, N = C, a16/lda: the threads' scratch, lda bytes each; w, ldw:
   * the int8 filter): [x, pixelStride, B, H, W, OH, OW, FH, FW, sh, sw, pt, pl].
   */
  rest: number[];
}

function workerSource(node: boolean): string {
  return `"use strict";
const runShare = ${runShare.toString()};
function start(d, ready) {
  const k = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  const ctrl = new Int32Array(d.memory.buffer, 0, 16);
  let seen = Atomics.load(ctrl, ${SEQ}); // before ready(): the first task may be posted as soon as it is sent
  ready();
  for (;;) {
    Atomics.wait(ctrl, ${SEQ}, seen);
    seen = Atomics.load(ctrl, ${SEQ});
    if (Atomics.load(ctrl, ${STOP}) === 1) return;
    try {
      runShare(k, new Float64Array(d.memory.buffer, ${ARGS_OFFSET}, ${ARGS_SLOTS}), d.index, Atomics.load(ctrl, ${THREADS}));
    } catch (e) {
      Atomics.store(ctrl, ${FAILED}, 1);
    }
    Atomics.add(ctrl, ${DONE}, 1);
    Atomics.notify(ctrl, ${DONE});
  }
}
${node
    ? "const { workerData, parentPort } = require('node:worker_threads'); start(workerData, () => parentPort.postMessage('ready'));"
    : "self.onmessage = (e) => start(e.data, () => self.postMessage('ready'));"}
`;
}

interface WorkerLike { terminate(): unknown }

/** The shared memory, our module instantiated on it for the calling thread, and the workers. */
export class KernelPool {
  readonly threads: number;
  /** Calls with fewer multiply-accumulates stay on the calling thread. */
  readonly minMacs: number;
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  private readonly workers: WorkerLike[];
  private readonly ctrl: Int32Array;
  /** Weights copied once: backend data object → offset. */
  private readonly kept = new WeakMap<object, number>();
  private keptEnd = HEAP_START;
  private scratchEnd = HEAP_START;

  constructor(o: { threads: number; minMacs: number; memory: WebAssembly.Memory; kernels: KernelExports; workers: WorkerLike[] }) {
    this.threads = o.threads;
    this.minMacs = o.minMacs;
    this.memory = o.memory;
    this.kernels = o.kernels;
    this.workers = o.workers;
    this.ctrl = new Int32Array(o.memory.buffer, 0, 16);
  }

  private reserve(bytes: number, persistent: boolean): number {
    const at = Math.ceil((persistent ? this.keptEnd : Math.max(this.keptEnd, this.scratchEnd)) / 16) * 16;
    const end = at + bytes + 16; // the kernels' vector loads may read up to 8 bytes past a block (wasm/assembly/int8.ts)
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
    if (persistent) this.keptEnd = end;
    else this.scratchEnd = end;
    return at;
  }

  /** Scratch for one call; released by `run`. */
  scratch(bytes: number): number {
    return this.reserve(bytes, false);
  }

  /**
   * Copies `bytes` to the shared memory (once per `key` when given: weights) and returns their offset. `bytes` may
   * be a function that makes them, called only when `key` is not yet placed (a weight's packed form).
   */
  place(bytes: Uint8Array | (() => Uint8Array), key?: object): number {
    const known = key && this.kept.get(key);
    if (known) return known;
    if (typeof bytes === 'function') bytes = bytes();
    if (key && this.scratchEnd > this.keptEnd) {
      throw new Error('kernels/wasm/threads: weights must be placed before any scratch of the call');
    }
    const at = this.reserve(bytes.length, key !== undefined);
    new Uint8Array(this.memory.buffer, at, bytes.length).set(bytes);
    if (key) this.kept.set(key, at);
    return at;
  }

  view(at: number, bytes: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, at, bytes);
  }

  /**
   * Runs a task on every thread (this one included) and blocks until all are done. `own`, when given, runs instead
   * of this thread's share 0 of the task: conv and depthwise callers compute their first ceil(M / T) rows (`ownRows`)
   * on the backend's own memory, straight into the output tensor, so only the other threads' rows go through the
   * shared memory.
   */
  run(t: TaskArgs, own?: () => void): void {
    this.dispatch([t.kind, t.M, t.N, t.K, t.a16, t.lda, t.w, t.ldw, t.out, t.ldo, t.outBytes, t.sA, t.sW, t.bias, t.zW, t.sums,
      t.lo, t.hi, t.oScale, t.oZp, t.zA, ...t.rest], own);
  }

  /**
   * A float32 training task (TASK_BACKPROP_INPUT, TASK_BACKPROP_FILTER, TASK_MATMUL): `items` split evenly, share 0
   * first (as `ownRows`), `args` as `runShare` reads them. `own`, as for `run`.
   */
  runFloat(kind: typeof TASK_BACKPROP_INPUT | typeof TASK_BACKPROP_FILTER | typeof TASK_MATMUL, items: number, args: number[],
    own?: () => void): void {
    this.dispatch([kind, items, ...args], own);
  }

  private dispatch(slots: number[], own?: () => void): void {
    const args = new Float64Array(this.memory.buffer, ARGS_OFFSET, ARGS_SLOTS);
    args.set(slots);
    const T = this.threads;
    Atomics.store(this.ctrl, DONE, 0);
    Atomics.store(this.ctrl, FAILED, 0);
    Atomics.store(this.ctrl, THREADS, T);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    try {
      if (own) own();
      else runShare(this.kernels, args, 0, T);
    } finally {
      const deadline = Date.now() + 10_000;
      for (let d = Atomics.load(this.ctrl, DONE); d < T - 1; d = Atomics.load(this.ctrl, DONE)) {
        // A worker that died would leave this thread waiting forever: give up after 10 s instead.
        if (Atomics.wait(this.ctrl, DONE, d, 1000) === 'timed-out' && Date.now() > deadline) {
          throw new Error(`kernels/wasm/threads: ${T - 1 - d} kernel thread(s) did not answer (ctrl ${Array.from(this.ctrl.subarray(0, 5))})`);
        }
      }
      this.scratchEnd = this.keptEnd;
    }
    if (Atomics.load(this.ctrl, FAILED)) throw new Error('kernels/wasm/threads: a kernel thread failed');
  }

  close(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    for (const w of this.workers) w.terminate();
  }
}

let pool: KernelPool | null = null;
let sharedModule: WebAssembly.Module | undefined;

function leb(b: Uint8Array, at: number): [number, number] {
  let v = 0, shift = 0, i = at;
  for (;;) {
    const byte = b[i++]!;
    v |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [v >>> 0, i];
    shift += 7;
  }
}

function encodeLeb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

/**
 * The kernels module with its memory import declared shared (limits flag 3, maximum SHARED_MAX_PAGES): the code
 * has no atomics and validates on either memory, so one binary serves both (rather than shipping a second build).
 */
function sharedBytes(): Uint8Array<ArrayBuffer> {
  const b = bytes();
  let at = 8;
  while (at < b.length) {
    const id = b[at]!;
    const [size, start] = leb(b, at + 1);
    if (id === 2) {
      let [count, p] = leb(b, start);
      for (; count > 0; count--) {
        const [modLen, m] = leb(b, p);
        const [fieldLen, f] = leb(b, m + modLen);
        p = f + fieldLen;
        const kind = b[p++]!;
        if (kind !== 2) throw new Error('kernels/wasm/threads: expected the memory to be the only import');
        const flag = b[p]!;
        const [min, afterMin] = leb(b, p + 1);
        const end = flag & 1 ? leb(b, afterMin)[1] : afterMin;
        const limits = [3, ...encodeLeb(min), ...encodeLeb(SHARED_MAX_PAGES)];
        const section = [...b.subarray(start, p), ...limits, ...b.subarray(end, start + size)];
        return Uint8Array.from([...b.subarray(0, at), 2, ...encodeLeb(section.length), ...section, ...b.subarray(start + size)]);
      }
    }
    at = start + size;
  }
  throw new Error('kernels/wasm/threads: the kernels module imports no memory');
}

type NodeWorker = WorkerLike & { once(e: string, f: (v: unknown) => void): void; unref(): void };
type NodeWorkerThreads = { Worker: new (src: string, o: object) => NodeWorker };

/** Starts one worker on the shared memory; resolves when it has instantiated the module. */
function startWorker(module: WebAssembly.Module, memory: WebAssembly.Memory, index: number): Promise<WorkerLike> | null {
  const g = globalThis as unknown as {
    process?: { getBuiltinModule?(id: string): unknown };
    Worker?: new (url: string) => WorkerLike & { postMessage(d: unknown): void; onmessage: ((e: unknown) => void) | null; onerror: ((e: unknown) => void) | null };
    crossOriginIsolated?: boolean; document?: unknown;
  };
  const wt = g.process?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
  if (wt) {
    return new Promise((resolve, reject) => {
      const w = new wt.Worker(workerSource(true), { eval: true, workerData: { module, memory, index } });
      w.unref(); // a parked kernel thread must not keep the process alive
      w.once('message', () => resolve(w));
      w.once('error', reject);
    });
  }
  // Browsers: only from a worker (a page's main thread may not block in Atomics.wait), cross-origin isolated.
  if (!g.Worker || !g.crossOriginIsolated || g.document !== undefined) return null;
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(new Blob([workerSource(false)], { type: 'text/javascript' }));
    const w = new g.Worker!(url);
    w.onmessage = () => resolve(w);
    w.onerror = reject;
    w.postMessage({ module, memory, index });
  });
}

/** Options of `setKernelThreads`. */
export interface KernelThreadOptions {
  /**
   * Calls with fewer multiply-accumulates than this stay on the calling thread, where waking the workers and
   * copying through the shared memory would cost more than they save. Default 2^24 (tests use 0): measured alone in
   * bench/int8-models.ts, a threaded call costs a few hundred µs more on this 2-core box, so with 2^18 MobileNetV2
   * at batch 1 ran slower on two threads than on one (34.4 vs 22.2 ms; 42.9 vs 32.5 ms the session before) and the
   * MNIST models gained nothing, while MobileNetV2 at batch 64 (every conv ≥ 2^24) gained 1.88× → 2.18×.
   */
  minMacs?: number;
}

/**
 * Sets how many threads the fused int8 kernels and the training kernels use (1 = the calling thread only, the default). Resolves to the
 * count in effect: 1 where threads are not available. Call it before running a model, not during.
 */
export async function setKernelThreads(n: number, options: KernelThreadOptions = {}): Promise<number> {
  const want = Math.max(1, Math.floor(n));
  const minMacs = options.minMacs ?? 1 << 24;
  if (pool?.threads === want && pool.minMacs === minMacs) return want;
  pool?.close();
  pool = null;
  if (want === 1 || typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return 1;
  sharedModule ??= await WebAssembly.compile(sharedBytes());
  const memory = new WebAssembly.Memory({ initial: 16, maximum: SHARED_MAX_PAGES, shared: true });
  const starts = Array.from({ length: want - 1 }, (_, i) => startWorker(sharedModule!, memory, i + 1));
  if (starts.some((s) => s === null)) return 1;
  let workers: WorkerLike[];
  try {
    workers = await Promise.all(starts as Promise<WorkerLike>[]);
  } catch {
    return 1;
  }
  const kernels = new WebAssembly.Instance(sharedModule, { env: { memory } }).exports as unknown as KernelExports;
  pool = new KernelPool({ threads: want, minMacs, memory, kernels, workers });
  return want;
}

/** Threads in effect for the kernels. */
export function kernelThreads(): number {
  return pool?.threads ?? 1;
}

/** The pool when more than one thread is in effect. */
export function kernelPool(): KernelPool | null {
  return pool;
}

/** The pool when more than one thread is in effect and a call of `macs` multiply-accumulates is worth splitting. */
export function poolFor(macs: number): KernelPool | null {
  return pool && macs >= pool.minMacs ? pool : null;
}

/**
 * Copies `bytes` bytes at `from` of the backend's heap into call scratch of the pool (a float32 kernel's per-call
 * operand: training weights change every step, so nothing is kept). With `skip`, only the bytes after the first
 * `skip` land (the calling thread reads those from the backend's own memory); the returned offset is the block's start.
 */
export function copyToPool(p: KernelPool, heap: Uint8Array, from: number, bytes: number, skip = 0): number {
  const at = p.scratch(bytes);
  p.view(at + skip, bytes - skip).set(heap.subarray(from + skip, from + bytes));
  return at;
}
