import type { EncodedGraphWeight } from './quantize.js';
import { producerOf, type NodeDef } from './roles.js';

/**
 * weights:int4's bit choice: each kernel gets a width (`KernelWidth`: 4, 5 or 6 bits in blocks of 32 or per channel,
 * or int8 per channel) — the most useful steps first, while the model's estimated gzip ratio stays at or above the
 * target (#14: int4 ≥ 6× gzip). Codes are stored one per byte and gzip charges each its entropy, so a width costs
 * what its codes and scales compress to, not its nominal bits. Measured over every blocked kernel of emotion
 * (faceres alike), gzip bits per value and relative squared error: 4/channel 4.07, 1.2e-2; 4/block 4.58, 8.9e-3;
 * 5/channel 4.75, 3.2e-3; 5/block 5.32, 2.0e-3; 6/channel 5.58, 8.1e-4; 6/block 6.23, 4.8e-4; 8/channel 7.58,
 * 5.0e-5. Blocks' float16 scales cost ≈ ½ bit per value, so 5 bits per channel is ⅓ of 4-bit blocks' error for
 * ≈ 0.2 bit more: int8's 3 extra bits buy far less per byte.
 *
 * "Useful" is the drop in the kernel's loss per extra compressed byte, taken over every width (not only the next
 * one, so a kernel can jump 4 → 8 when 5 and 6 are poor buys). A kernel's loss at a width is its error there
 * (`error`: the relative output error with calibration, else the relative squared weight error) times a weight: the
 * measured `sensitivity` scaled so that 4 → 8 predicts it (graph-mixed-bits.ts), else `EDGE_WEIGHT` for the first
 * kernel and the last ones (no other kernel downstream: errors there are not averaged by later layers or reach the
 * output directly) and 1 for the rest.
 *
 * Sizes are estimated without compressing: code bytes at the empirical entropy of their byte values (what gzip's
 * Huffman stage gets close to), everything else (float16 scales and terms, float32, int32) at full size. Pure:
 * no zlib, browser-safe like the rest of formats/graph.
 */
export const INT4_GZIP_TARGET = 6;
/** The estimate is aimed above the target so the measured gzip ratio (model.json included) still meets it. */
const ESTIMATE_MARGIN = 1.03;
const EDGE_WEIGHT = 4;

/**
 * A kernel's width under weights:int4: bits and scale layout (quantize.ts). `4/block` (blocks of 32 along the
 * reduction) is the mode's default; a reduction of at most 32 is one block per channel, so its `/block` and
 * `/channel` widths are the same encoding.
 */
export type KernelWidth = '4/channel' | '4/block' | '5/channel' | '5/block' | '6/channel' | '6/block' | '8/channel';
export const KERNEL_WIDTHS: readonly KernelWidth[] = ['4/channel', '4/block', '5/channel', '5/block', '6/channel', '6/block', '8/channel'];
export const DEFAULT_WIDTH: KernelWidth = '4/block';
export const widthOf = (w: KernelWidth) => ({ bits: Number(w[0]) as 4 | 5 | 6 | 8, perChannel: w.endsWith('/channel') });

export interface BitChoice {
  /** The kernel encoded at each width of KERNEL_WIDTHS. */
  levels: Map<KernelWidth, EncodedGraphWeight>;
  /** The weight's values before quantization. */
  values: Float32Array;
  edge: boolean;
  /**
   * The relative error of decoded values as the layer's output sees it (calibrated: ‖(Ŵ − W)ᵀx‖² / ‖Wᵀx‖² over the
   * calibration inputs, correction.ts); without it, the relative squared weight error.
   */
  error?: (decoded: Float32Array) => number;
  /** Measured gain of the model's output fidelity when this kernel alone goes from 4-bit blocks to int8 (graph-mixed-bits.ts). */
  sensitivity?: number;
}

// Huffman's whole-bit code lengths cost over the entropy: ≈ 9% on int4's 15 symbols, ≈ 1% on int8's (measured);
// 5 and 6 bits in between.
const HUFFMAN_OVERHEAD: Record<number, number> = { [-8]: 1.09, [-16]: 1.05, [-32]: 1.03, [-128]: 1.01 };

/** Estimated gzip bytes of an encoded weight (its parts). */
export function estimatedBytes(e: EncodedGraphWeight): number {
  let total = 0;
  for (const p of e.parts) {
    const q = p.entry.quantization;
    const overhead = q?.dtype === 'uint8' && q.scale === 1 ? HUFFMAN_OVERHEAD[q.min ?? 0] : undefined;
    total += overhead ? entropyBytes(p.bytes) * overhead + 64 : p.bytes.byteLength;
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

export interface ChosenWidth {
  width: KernelWidth;
  /** The kernel's error (as `BitChoice.error` measures it) at each width, for the report. */
  errors: Map<KernelWidth, number>;
}

/**
 * Every kernel's width. Each starts at its cheapest width (by estimated bytes) and moves, most useful step first, to
 * any width with less loss while the estimated total stays in budget (a width with less loss and no more bytes is
 * always taken). `fixedBytes` is the estimated size of everything that is not a choice (terms, scales of unchanged
 * weights); `fp32Bytes` the model's float32 size (params × 4).
 */
export function chooseKernelWidths(o: { choices: Map<string, BitChoice>; fixedBytes: number; fp32Bytes: number; target?: number }): Map<string, ChosenWidth> {
  const budget = o.fp32Bytes / ((o.target ?? INT4_GZIP_TARGET) * ESTIMATE_MARGIN);
  const rows = [...o.choices].map(([name, c]) => {
    const error = c.error ?? ((d: Float32Array) => relativeError(c.values, d));
    const levels = KERNEL_WIDTHS.filter((b) => c.levels.has(b));
    const errors = new Map(levels.map((b) => [b, error(c.levels.get(b)!.values!)]));
    const span = errors.get(DEFAULT_WIDTH)! - (errors.get('8/channel') ?? 0);
    const weight = c.sensitivity !== undefined ? Math.max(c.sensitivity, 0) / Math.max(span, 1e-30) : c.edge ? EDGE_WEIGHT : 1;
    const size = new Map(levels.map((b) => [b, estimatedBytes(c.levels.get(b)!)]));
    const width = levels.reduce((a, b) => (size.get(b)! < size.get(a)! ? b : a), DEFAULT_WIDTH);
    return { name, levels, errors, weight, size, width };
  });
  let used = o.fixedBytes + rows.reduce((n, r) => n + r.size.get(r.width)!, 0);
  for (;;) {
    let best: { row: (typeof rows)[number]; width: KernelWidth; extra: number; rank: number } | undefined;
    for (const row of rows) {
      for (const b of row.levels) {
        const gain = (row.errors.get(row.width)! - row.errors.get(b)!) * row.weight;
        if (!(gain > 0)) continue;
        const extra = row.size.get(b)! - row.size.get(row.width)!;
        if (extra > 0 && used + extra > budget) continue;
        const rank = extra > 0 ? gain / extra : Infinity;
        if (!best || rank > best.rank) best = { row, width: b, extra, rank };
      }
    }
    if (!best) break;
    used += best.extra;
    best.row.width = best.width;
  }
  return new Map(rows.map((r) => [r.name, { width: r.width, errors: r.errors }]));
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
