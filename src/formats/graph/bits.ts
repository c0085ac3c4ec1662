import type { EncodedGraphWeight } from './quantize.js';
import { producerOf, type NodeDef } from './roles.js';

/**
 * weights:int4's bit choice, data-free: every kernel starts in int4; the kernels whose int4 error costs most are
 * moved to int8 per channel, most useful first, while the model's estimated gzip ratio stays at or above the target
 * (#14: int4 ≥ 6× gzip). "Useful" is the drop in the kernel's relative squared error (‖ŵ − w‖² / ‖w‖², which is
 * roughly the noise-to-signal a layer adds to its output) per extra compressed byte; the first kernel and the last
 * kernels (those no other kernel reads downstream of: classifier heads, regressors) count `EDGE_WEIGHT` times,
 * because errors there are not averaged by later layers (first) or reach the output directly (last). Tiny depthwise
 * kernels (9 taps per scale in int4) are cheap to keep in int8 and usually go first.
 *
 * Sizes are estimated without compressing: code bytes at the empirical entropy of their byte values (what gzip's
 * Huffman stage gets close to), everything else (float16 scales and terms, float32, int32) at full size. Pure:
 * no zlib, browser-safe like the rest of formats/graph.
 */
export const INT4_GZIP_TARGET = 6;
/** The estimate is aimed above the target so the measured gzip ratio (model.json included) still meets it. */
const ESTIMATE_MARGIN = 1.03;
const EDGE_WEIGHT = 4;

export interface BitChoice {
  int4: EncodedGraphWeight;
  int8: EncodedGraphWeight;
  /** The weight's values before quantization. */
  values: Float32Array;
  edge: boolean;
  /**
   * The relative error of decoded values as the layer's output sees it (calibrated: ‖(Ŵ − W)ᵀx‖² / ‖Wᵀx‖² over the
   * calibration inputs, correction.ts); without it, the relative squared weight error.
   */
  error?: (decoded: Float32Array) => number;
}

/** Estimated gzip bytes of an encoded weight (its parts). */
export function estimatedBytes(e: EncodedGraphWeight): number {
  let total = 0;
  for (const p of e.parts) {
    const q = p.entry.quantization;
    // Huffman's whole-bit code lengths cost ≈ 9% over the entropy on int4's 15 symbols, ≈ 1% on int8's (measured).
    if (q?.dtype === 'uint8' && q.scale === 1 && (q.min === -8 || q.min === -128)) total += entropyBytes(p.bytes) * (q.min === -8 ? 1.09 : 1.01) + 64;
    else total += p.bytes.byteLength;
  }
  return total;
}

function entropyBytes(bytes: Uint8Array): number {
  const counts = new Float64Array(256);
  for (const b of bytes) counts[b]++;
  let bits = 0;
  for (const c of counts) if (c > 0) bits -= c * Math.log2(c / bytes.length);
  return bits / 8;
}

function relativeError(values: Float32Array, decoded: Float32Array): number {
  let e = 0, n = 0;
  for (let i = 0; i < values.length; i++) { e += (decoded[i]! - values[i]!) ** 2; n += values[i]! ** 2; }
  return n > 0 ? e / n : 0;
}

/**
 * Which kernels go int8: names, with each one's int4 and int8 relative squared errors for the report. `fixedBytes`
 * is the estimated size of everything that is not a choice (terms, scales of unchanged weights); `fp32Bytes` the
 * model's float32 size (params × 4).
 */
export function chooseInt8Kernels(o: { choices: Map<string, BitChoice>; fixedBytes: number; fp32Bytes: number; target?: number }): Map<string, { int4Error: number; int8Error: number }> {
  const budget = o.fp32Bytes / ((o.target ?? INT4_GZIP_TARGET) * ESTIMATE_MARGIN);
  const rows = [...o.choices].map(([name, c]) => {
    const error = c.error ?? ((d: Float32Array) => relativeError(c.values, d));
    const int4Error = error(c.int4.values!);
    const int8Error = error(c.int8.values!);
    const size4 = estimatedBytes(c.int4);
    const extra = Math.max(1, estimatedBytes(c.int8) - size4);
    return { name, int4Error, int8Error, size4, extra, gain: ((int4Error - int8Error) * (c.edge ? EDGE_WEIGHT : 1)) / extra };
  });
  let used = o.fixedBytes + rows.reduce((n, r) => n + r.size4, 0);
  const chosen = new Map<string, { int4Error: number; int8Error: number }>();
  for (const r of rows.sort((a, b) => b.gain - a.gain)) {
    if (r.gain <= 0 || used + r.extra > budget) continue;
    used += r.extra;
    chosen.set(r.name, { int4Error: r.int4Error, int8Error: r.int8Error });
  }
  return chosen;
}

/**
 * The first and last kernels of a graph: those with no other kernel's reader upstream (the stem) or downstream (the
 * heads) of their own readers. `readers` maps each kernel to the names of the nodes that read it.
 */
export function edgeKernels(nodes: readonly NodeDef[], readers: Map<string, string[]>): Set<string> {
  const down = new Map<string, string[]>();
  const up = new Map<string, string[]>();
  for (const node of nodes) {
    for (const input of node.input ?? []) {
      const { name, control } = producerOf(input);
      if (control) continue;
      (down.get(name) ?? down.set(name, []).get(name)!).push(node.name);
      (up.get(node.name) ?? up.set(node.name, []).get(node.name)!).push(name);
    }
  }
  const readerOf = new Map<string, string>();
  for (const [kernel, names] of readers) for (const n of names) readerOf.set(n, kernel);
  const reaches = (kernel: string, edges: Map<string, string[]>) => {
    const seen = new Set<string>(readers.get(kernel));
    const stack = [...seen];
    while (stack.length) {
      for (const next of edges.get(stack.pop()!) ?? []) {
        if (seen.has(next)) continue;
        const other = readerOf.get(next);
        if (other !== undefined && other !== kernel) return true;
        seen.add(next);
        stack.push(next);
      }
    }
    return false;
  };
  const edges = new Set<string>();
  for (const kernel of readers.keys()) if (!reaches(kernel, down) || !reaches(kernel, up)) edges.add(kernel);
  return edges;
}
