import type { EncodedGraphWeight } from './quantize.js';
import { producerOf, type NodeDef } from './roles.js';

/**
 * weights:int4's bit choice: each kernel gets a width (`KernelWidth`: 4-bit blocks of 32, a per-channel grid from
 * 3.58 to 7 bits, or int8 per channel) — the most useful steps first, while the model's estimated gzip ratio stays at or above the
 * target (#14: int4 ≥ 6× gzip). Codes are stored one per byte and gzip charges each its entropy, so a width costs
 * what its codes and scales compress to, not its nominal bits (`KERNEL_WIDTHS` has the measured costs). The choice is
 * a discrete reverse water-filling: with widths ≈ ¼ bit apart, each kernel ends where its marginal loss per byte
 * meets the others'.
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
 * `/channel` widths are the same encoding. Per channel the bits step between whole widths (`CodeBits`: 4.32 = codes
 * ±9, 4.58 = ±11, …), so the choice can spend the few bytes the 6× floor leaves in small steps where they buy most
 * — a finer rate grid is what reverse water-filling needs to equalize loss per byte across kernels.
 */
export type KernelWidth = `${number}/channel` | `${4 | 5 | 6}/block`;
/**
 * The widths the choice considers. Measured over every kernel of emotion, data-free (gzip -9 bits per value of
 * codes and scales / relative squared error):
 *
 *   4/block 4.54 / 7.7e-3   5/block 5.33 / 1.7e-3   6/block 6.21 / 4.1e-4
 *   per channel: 3.58 3.72 / 1.7e-2, 4 4.08 / 1.0e-2, 4.32 4.35 / 6.3e-3, 4.58 4.55 / 4.4e-3, 4.81 4.71 / 3.3e-3,
 *   5 4.85 / 2.5e-3, 5.32 5.09 / 1.6e-3, 5.58 5.30 / 1.1e-3, 6 5.64 / 6.3e-4, 8 7.62 / 3.8e-5
 *
 * Blocks' float16 scales cost ≈ ½ bit per value: at 4-bit blocks' bytes ±11 per channel has 43% less error, and 5-
 * and 6-bit blocks are beaten by the per-channel grids around them, so of the blocks only the mode's default stays;
 * 6.58 (±47) and 7 (±63) fill the wide gap below int8 for the most sensitive kernels.
 */
export const KERNEL_WIDTHS: readonly KernelWidth[] = [
  '3.58/channel', '4/channel', '4/block', '4.32/channel', '4.58/channel', '4.81/channel', '5/channel', '5.32/channel', '5.58/channel', '6/channel',
  '6.58/channel', '7/channel', '8/channel',
];
export const DEFAULT_WIDTH: KernelWidth = '4/block';
export const widthOf = (w: KernelWidth) => ({ bits: Number(w.slice(0, w.indexOf('/'))), perChannel: w.endsWith('/channel') });

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
// the grids in between by their byte range (`min`).
const HUFFMAN_OVERHEAD: Record<number, number> = { [-8]: 1.09, [-16]: 1.05, [-32]: 1.03, [-64]: 1.02, [-128]: 1.01 };

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

/** An int8/int4 kernel's code entropy plus its scales, in bits per weight value (`GraphWeightRow.entropyBits`). */
export function codeEntropyBits(e: EncodedGraphWeight): number {
  const [codes, ...rest] = e.parts;
  const n = codes!.bytes.byteLength;
  return n ? (entropyBytes(codes!.bytes) * 8 + rest.reduce((b, p) => b + (p.entry.dtype === 'int32' ? 0 : p.bytes.byteLength * 8), 0)) / n : 0;
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
