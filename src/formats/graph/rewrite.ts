import { ShrinkmlError } from '../../core/errors.js';
import type { ProgressFn } from '../../core/progress.js';
import { elementCount, type ModelJson } from '../manifest.js';
import { aroundReduction, encodeGraphWeight, qmaxOf, GENERATED_SUFFIXES, type CodeBits, type EncodedGraphWeight, type GraphWeightMode, type Hessian } from './quantize.js';
import { compensatedValues } from './compensate.js';
import { correctBiases, outputError, type CorrectionReport, type GraphCalibration, type KernelStats } from './correction.js';
import { graphNodes, type NodeDef, type WeightRole } from './roles.js';
import { rewriteInt8Ops, type StaticInt8 } from './static-int8.js';
import type { GraphWeight } from './weights.js';
import { chooseKernelWidths, codeEntropyBits, DEFAULT_WIDTH, edgeKernels, estimatedBytes, KERNEL_WIDTHS, widthOf, type BitChoice, type KernelWidth } from './bits.js';

/** One weight of the written graph, as reports and `inspect` list it. */
export interface GraphWeightRow {
  name: string;
  shape: number[];
  role: WeightRole['kind'];
  /** Bits per value as stored (4, 5, 6 for int4's block codes or a grid between per channel, 8, 16, 32). */
  bits: number;
  /**
   * int8/int4 codes: their empirical entropy in bits per value plus the scales' bits per value — what gzip charges
   * for the kernel (≈, before Huffman's whole-bit overhead), as against `bits`, its nominal width.
   */
  entropyBits?: number;
  scheme: EncodedGraphWeight['scheme'];
  params: number;
  /** Stored bytes of the weight with its scales. */
  bytes: number;
  /** Fraction of exact zeros in the values the graph computes with. */
  sparsity: number;
  note?: string;
}

export interface RewrittenGraph {
  json: ModelJson;
  /** Weight data, entries back to back in `json.weightsManifest[0].weights` order (the caller shards it). */
  data: Uint8Array;
  rows: GraphWeightRow[];
  /** The dequantized values of every float weight, by name: what the written model computes with. */
  values: Map<string, Float32Array>;
  /** What bias correction did (weights:int8/int4 with calibration). */
  correction?: CorrectionReport;
  /** weights:int4: the width of every kernel the bit choice chose for (bits.ts). */
  widths?: Record<string, KernelWidth>;
}

/**
 * Output errors by kernel statistics and decoded values: the int4 bit search rewrites a model many times with the
 * same cached encodings (`encodeCache`), and each rewrite's bit choice would otherwise recompute every width's error.
 */
const OUTPUT_ERRORS = new WeakMap<KernelStats, WeakMap<Float32Array, number>>();

const OTHER: WeightRole = { kind: 'other', channelAxes: [], reduceAxes: [], readers: [] };

/**
 * The GPTQ Hessian of a kernel from its calibration statistics (shared, or per input channel for depthwise), as
 * GPTQ rounds with it and the int4 bit choice measures output errors with it: the sample E[x xᵀ] shrunk toward its
 * diagonal (`shrunkGram`) — with error compensation E[x̃ x̃ᵀ], the quantized model's (compensate.ts).
 */
function hessianOf(stats: KernelStats | undefined, role: WeightRole, shape: number[]): Hessian | undefined {
  const source = stats?.compensation?.gram && stats.compensation.cross ? stats.compensation : stats;
  if (!source?.gram || role.kind === 'other' || role.kind === 'embedding') return undefined;
  return perChannel(shrunkGram(source.gram, reductionOf(source.gram, role, shape), source.gramRows ?? stats!.rows), role, shape);
}

const reductionOf = (gram: Float64Array, role: WeightRole, shape: number[]) => (role.kind === 'depthwise' ? shape[0]! * shape[1]! : Math.round(Math.sqrt(gram.length)));

/** A channel's block of a statistics matrix: the one matrix of a conv/matmul, its input channel's for depthwise. */
function perChannel(matrix: Float64Array, role: WeightRole, shape: number[]): Hessian {
  if (role.kind !== 'depthwise') return () => matrix;
  const taps = shape[0]! * shape[1]!;
  const mult = shape[3]!;
  const slices = Array.from({ length: shape[2]! }, (_, c) => matrix.subarray(c * taps * taps, (c + 1) * taps * taps));
  return (_p, q) => slices[Math.floor(q / mult)]!;
}

/** By matrix and row count (statistics copied with another count share the matrix). */
const SHRUNK = new WeakMap<Float64Array, Map<number, Float64Array>>();

/**
 * E[x xᵀ] with its off-diagonal terms scaled by 1 − λ, λ = size / (size + rows): the Gram of `rows` samples in a
 * reduction of `size` has rank ≤ rows, and GPTQ then moves the rounding error into directions the calibration never
 * saw — in-sample output error far below the error on other inputs, and the bit choice, which ranks widths by that
 * error, buys bits where they do not generalise. Measured on USE-lite (40 calibration sentences: 1010 token rows into
 * a 1536-wide FFN, 40 rows into the 512-wide pooled layer), 4.58 bits per channel, output error on 103 other
 * sentences: 25× and 47× the in-sample error with the sample Gram; summed over its 10 kernels 3.1e-2 unshrunk,
 * 2.3e-2 / 2.1e-2 / 2.2e-2 at a fixed λ of 0.1 / 0.3 / 0.6, 2.05e-2 with this λ, 4.5e-2 at λ = 1 (plain rounding).
 * Deep layers of image models see a few thousand patch rows (λ of a few %). Per size × size block (depthwise: one
 * per channel). Error compensation's cross term E[x x̃ᵀ] is shrunk alike: the same rows estimate it, and equal
 * shrinkage keeps W* = W where x̃ = x (compensate.ts).
 */
function shrunkGram(gram: Float64Array, size: number, rows: number): Float64Array {
  const known = SHRUNK.get(gram) ?? SHRUNK.set(gram, new Map()).get(gram)!;
  let out = known.get(rows);
  if (!out) {
    const keep = 1 - size / (size + Math.max(1, rows));
    out = Float64Array.from(gram, (v, i) => ((i % (size * size)) % (size + 1) === 0 ? v : v * keep));
    known.set(rows, out);
  }
  return out;
}

const TARGETS = new WeakMap<KernelStats, WeakMap<GraphWeight, GraphWeight>>();

/**
 * The weight whose values rounding aims at: W itself, or with error compensation W* (compensate.ts), one object per
 * weight and statistics so that rewrites of the int4 bit search find its encodings in their cache.
 */
function targetOf(weight: GraphWeight, stats: KernelStats | undefined, role: WeightRole): GraphWeight {
  const c = stats?.compensation;
  if (!c?.gram || !c.cross || !(weight.values instanceof Float32Array) || role.kind === 'other' || role.kind === 'embedding') return weight;
  const known = TARGETS.get(stats!) ?? TARGETS.set(stats!, new WeakMap()).get(stats!)!;
  let t = known.get(weight);
  if (!t) {
    const size = reductionOf(c.gram, role, weight.shape);
    const rows = c.gramRows ?? stats!.rows;
    const values = compensatedValues({
      values: weight.values, view: aroundReduction(weight.shape, role.reduceAxes),
      gram: perChannel(shrunkGram(c.gram, size, rows), role, weight.shape), cross: perChannel(shrunkGram(c.cross, size, rows), role, weight.shape),
    });
    t = { ...weight, values, raw: new Uint8Array(values.buffer) };
    known.set(weight, t);
  }
  return t;
}

/**
 * model.json + decoded weights → a new model.json and weight data storing every weight as `mode` asks (a weight
 * mode of undefined keeps each weight's input storage). Kernel weights of int8/int4 replace their Const node with
 * Const codes, Const scales and Mul (and Reshape), the last taking the weight's name, so every reader, signature
 * output and control dependency still finds it. Nothing else in model.json changes except `shrinkml`.
 */
export function rewriteGraph(o: {
  json: ModelJson; weights: GraphWeight[]; roles: Map<string, WeightRole>; mode?: GraphWeightMode; file: string;
  shrinkml?: Record<string, unknown>;
  /** Static int8 compute: the planned nodes become int8 graph ops; every other weight is stored as for int8. */
  staticInt8?: StaticInt8;
  /** weights:int8/int4: kernel input statistics for GPTQ rounding and bias correction (correction.ts). */
  calibration?: GraphCalibration;
  /**
   * Encodings reused across rewrites of the same weights and calibration (the int4 bit search rewrites a model once
   * per candidate set; GPTQ is most of a rewrite's time). Keyed by weight object, so re-encoded corrected biases,
   * which are new objects, are never reused.
   */
  encodeCache?: WeakMap<GraphWeight, Map<string, EncodedGraphWeight>>;
  /** weights:int4: the estimated gzip ratio the bit choice aims at (bits.ts; default 6 with its margin). */
  int4Target?: number;
  /** Weights `mode` leaves as the input stored them (the weight step's `exclude`); static int8 has its own exclude. */
  keepStored?: ReadonlySet<string>;
  /**
   * Per weight encoded ('encode'), then per int4 kernel tried at every width ('int4 widths'): int8/int4's scale search
   * and the bit choice take tens of seconds on a real model (blazepose-lite: 2 s and 17 s).
   */
  onProgress?: ProgressFn;
}): RewrittenGraph {
  const topology = structuredClone(o.json.modelTopology) as Record<string, any>;
  const { main } = graphNodes(topology);
  const byName = new Map(main.map((n, i) => [n.name, i]));
  const calibrated = Boolean(o.calibration) && !o.staticInt8 && (o.mode === 'int8' || o.mode === 'int4');
  const aim = (weight: GraphWeight, mode: GraphWeightMode) => (calibrated && (mode === 'int8' || mode === 'int4')
    ? targetOf(weight, o.calibration!.kernels[weight.name], o.roles.get(weight.name) ?? OTHER) : weight);
  const encode = (weight: GraphWeight, mode: GraphWeightMode, bits?: CodeBits, perChannel?: boolean) => {
    const key = bits ? `${mode}:${bits}${perChannel ? 'c' : ''}` : mode;
    const target = aim(weight, mode);
    const cached = o.encodeCache?.get(target)?.get(key);
    if (cached) return { ...cached };
    const e = encodeUncached(target, mode, bits, perChannel);
    if (o.encodeCache) (o.encodeCache.get(target) ?? o.encodeCache.set(target, new Map()).get(target)!).set(key, e);
    return { ...e };
  };
  const encodeUncached = (weight: GraphWeight, mode: GraphWeightMode, bits?: CodeBits, perChannel?: boolean) => {
    const index = byName.get(weight.name);
    // Static int8 keeps max-abs filter scales: with searched ones, graph-static-int8.test's exact int8-vs-float
    // comparison moved by one output grid step (not yet looked into; weight-only modes search).
    const role = o.roles.get(weight.name) ?? OTHER;
    const hessian = calibrated && (mode === 'int8' || mode === 'int4') ? hessianOf(o.calibration!.kernels[weight.name], role, weight.shape) : undefined;
    return encodeGraphWeight({ weight, role, mode, node: index === undefined ? undefined : main[index], scaleSearch: !o.staticInt8, hessian, ...(bits ? { bits, perChannel } : {}) });
  };
  const encoded = o.weights.map((weight, i) => {
    const e = encode(weight, o.staticInt8 ? 'int8' : o.keepStored?.has(weight.name) ? keepMode(weight) : o.mode ?? keepMode(weight));
    o.onProgress?.({ phase: 'encode', done: i + 1, total: o.weights.length });
    return e;
  });
  let widths: Record<string, KernelWidth> | undefined;
  if (o.mode === 'int4' && !o.staticInt8) {
    const errorOf = (w: GraphWeight) => {
      const role = o.roles.get(w.name)!;
      const hessian = calibrated ? hessianOf(o.calibration!.kernels[w.name], role, w.shape) : undefined;
      if (!hessian) return undefined;
      const view = aroundReduction(w.shape, role.reduceAxes);
      const stats = o.calibration!.kernels[w.name]!;
      const known = OUTPUT_ERRORS.get(stats) ?? OUTPUT_ERRORS.set(stats, new WeakMap()).get(stats)!;
      return (decoded: Float32Array) => {
        let e = known.get(decoded);
        if (e === undefined) known.set(decoded, (e = outputError({ values: aim(w, 'int4').values as Float32Array, decoded, view, hessian })));
        return e;
      };
    };
    widths = chooseBits({ weights: o.weights, encoded, roles: o.roles, main, encode, jsonChars: JSON.stringify(topology).length, errorOf, calibration: calibrated ? o.calibration : undefined, target: o.int4Target, onProgress: o.onProgress });
  }
  let edits = new Map<string, NodeDef[]>();
  let correction: CorrectionReport | undefined;
  const weights = [...o.weights];
  if (calibrated) {
    const signatureOutputs = new Set(Object.values((o.json as any).signature?.outputs ?? {}).map((v: any) => String(v.name).split(':')[0]!));
    const c = correctBiases({ main, weights: o.weights, encoded, roles: o.roles, calibration: o.calibration!, signatureOutputs, encode, mode: o.mode! });
    edits = c.edits;
    correction = c.report;
    for (const a of c.added) { weights.push(a.weight); encoded.push(a.encoded); }
  }
  const ops = o.staticInt8
    ? rewriteInt8Ops({ json: o.json, main, encoded: new Map(encoded.map((e) => [e.name, e])), staticInt8: o.staticInt8, file: o.file })
    : new Map<string, NodeDef[]>();
  const replacements = new Map<number, NodeDef[]>();
  for (const e of encoded) {
    if (e.nodes.length === 0) continue;
    for (const node of e.nodes) {
      if (node.name !== e.name && byName.has(node.name)) {
        throw new ShrinkmlError('UNSUPPORTED', `${o.file}: node '${e.name}' cannot be rewritten: the graph already has a node '${node.name}'`, { subject: e.name });
      }
    }
    const index = byName.get(e.name);
    if (index === undefined) throw new ShrinkmlError('INTERNAL', `${o.file}: no main-graph node '${e.name}' to rewrite`, { subject: e.name });
    replacements.set(index, e.nodes);
  }
  topology.node = main.flatMap((node, i) => replacements.get(i) ?? ops.get(node.name) ?? edits.get(node.name) ?? [node]);

  // Entries grouped by storage (int4, 5-, 6-bit, int8 codes, float16, the rest): deflate adapts its Huffman tables per
  // block, and a block mixing 15-symbol int4 codes with int8 codes or float bytes codes both worse (≈ 6% of the gzip
  // size of a mixed int4/int8 model). The manifest lists entries in this order; names, not order, bind them to nodes.
  const parts = encoded.flatMap((e) => e.parts).map((p, i) => ({ p, i, k: storageRank(p.entry) })).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.p);
  const data = new Uint8Array(parts.reduce((n, p) => n + p.bytes.byteLength, 0));
  let at = 0;
  for (const p of parts) { data.set(p.bytes, at); at += p.bytes.byteLength; }

  const rows = encoded.map((e, i): GraphWeightRow => {
    const w = weights[i]!;
    const values = e.values;
    let zeros = 0;
    if (values) for (const v of values) if (v === 0) zeros++;
    return {
      name: e.name, shape: w.shape, role: (o.roles.get(w.name) ?? OTHER).kind, bits: e.bits, scheme: e.scheme, params: elementCount(w.shape),
      bytes: e.parts.reduce((n, p) => n + p.bytes.byteLength, 0), sparsity: values && values.length ? zeros / values.length : 0,
      ...(e.scheme === 'int8-channel' || e.scheme === 'int4-block' || e.scheme === 'int4-channel' ? { entropyBits: codeEntropyBits(e) } : {}),
      ...(e.note ? { note: e.note } : {}),
    };
  });
  const values = new Map<string, Float32Array>();
  for (const e of encoded) if (e.values) values.set(e.name, e.values);

  const json: ModelJson = {
    ...o.json, format: o.json.format ?? 'graph-model', modelTopology: topology,
    weightsManifest: [{ paths: [], weights: parts.map((p) => p.entry) }],
  };
  if (o.shrinkml) json.shrinkml = o.shrinkml;
  return { json, data, rows, values, ...(correction ? { correction } : {}), ...(widths ? { widths } : {}) };
}

/**
 * weights:int4's bit choice (bits.ts): each kernel gets a width — 4, 5 or 6 bits in blocks or per channel, or int8
 * per channel — in place in `encoded`, while the estimated gzip ratio stays ≥ 6× (or `target`). The calibration's
 * `kernelWidths` (chosen on the model's outputs by src/quantize/graph-mixed-bits.ts) replaces the estimate; its
 * `sensitivity` weights the estimate's per-layer errors by their measured effect on the outputs.
 */
function chooseBits(o: {
  weights: GraphWeight[]; encoded: EncodedGraphWeight[]; roles: Map<string, WeightRole>; main: NodeDef[];
  encode: (w: GraphWeight, mode: GraphWeightMode, bits?: CodeBits, perChannel?: boolean) => EncodedGraphWeight; jsonChars: number;
  errorOf: (w: GraphWeight) => BitChoice['error']; calibration?: GraphCalibration; target?: number; onProgress?: ProgressFn;
}): Record<string, KernelWidth> {
  const { weights, encoded } = o;
  const isInt4 = (e: EncodedGraphWeight) => e.scheme === 'int4-block' || e.scheme === 'int4-channel';
  const at = (w: GraphWeight, width: KernelWidth) => {
    const { bits, perChannel } = widthOf(width);
    return bits === 8 ? o.encode(w, 'int8') : width === DEFAULT_WIDTH ? o.encode(w, 'int4') : o.encode(w, 'int4', bits, perChannel);
  };
  const describe = (width: KernelWidth) => {
    const { bits, perChannel } = widthOf(width);
    return bits === 8 ? 'int8 per channel' : `${bits}-bit codes (±${qmaxOf(bits)}), one scale per ${perChannel ? 'channel' : 'block'}`;
  };
  const widths: Record<string, KernelWidth> = {};
  const measured = o.calibration?.kernelWidths;
  if (measured) {
    encoded.forEach((e, i) => {
      if (!isInt4(e)) return;
      const width = measured[e.name] ?? DEFAULT_WIDTH;
      widths[e.name] = width;
      if (width === DEFAULT_WIDTH) return;
      encoded[i] = at(weights[i]!, width);
      encoded[i]!.note = `${describe(width)} by measured sensitivity (the model's outputs on the calibration data)`;
    });
    return widths;
  }
  const readers = new Map<string, string[]>();
  encoded.forEach((e) => { if (isInt4(e)) readers.set(e.name, o.roles.get(e.name)!.readers.map((r) => r.slice(r.indexOf(':') + 1))); });
  const edges = edgeKernels(o.main, readers);
  const choices = new Map<string, BitChoice>();
  // model.json counts in the gzip ratio: its text (≈ 1.6× once the int4 nodes are in) compresses about 8×.
  let fixedBytes = (o.jsonChars * 1.6) / 8;
  let fp32Bytes = 0;
  const sensitivity = o.calibration?.sensitivity;
  const kernels = encoded.filter(isInt4).length;
  encoded.forEach((e, i) => {
    const w = weights[i]!;
    if (w.dtype === 'float32') fp32Bytes += elementCount(w.shape) * 4;
    if (!isInt4(e)) { fixedBytes += estimatedBytes(e); return; }
    const error = o.errorOf(w);
    const levels = new Map(KERNEL_WIDTHS.map((b) => [b, b === DEFAULT_WIDTH ? e : at(w, b)]));
    const s = sensitivity?.[e.name];
    choices.set(e.name, { levels, values: w.values as Float32Array, edge: edges.has(e.name), ...(error ? { error } : {}), ...(s !== undefined ? { sensitivity: s } : {}) });
    o.onProgress?.({ phase: 'int4 widths', done: choices.size, total: kernels });
  });
  const chosen = chooseKernelWidths({ choices, fixedBytes, fp32Bytes, target: o.target });
  encoded.forEach((e, i) => {
    const c = chosen.get(e.name);
    if (!c) return;
    widths[e.name] = c.width;
    if (c.width === DEFAULT_WIDTH) return;
    const chosenEncoding = choices.get(e.name)!.levels.get(c.width)!;
    const kind = choices.get(e.name)!.error ? 'output' : 'squared';
    chosenEncoding.note = `${describe(c.width)} by the bit choice${sensitivity ? ' (weighted by measured sensitivity)' : ''}: relative ${kind} error ${c.errors.get(DEFAULT_WIDTH)!.toExponential(1)} in 4-bit blocks, ${c.errors.get(c.width)!.toExponential(1)} as chosen${edges.has(e.name) ? ' (first/last kernel)' : ''}`;
    encoded[i] = chosenEncoding;
  });
  return widths;
}

/** Code entries by byte range (`min` −8, −16, −32, −64, −128: up to ±7, ±15, ±31, ±63, ±127), then float16, then the rest. */
function storageRank(entry: EncodedGraphWeight['parts'][number]['entry']): number {
  const q = entry.quantization;
  const codes = q?.dtype === 'uint8' && q.scale === 1 ? CODE_MINS.indexOf(q.min ?? 0) : -1;
  if (codes >= 0) return codes;
  return q?.dtype === 'float16' ? CODE_MINS.length : CODE_MINS.length + 1;
}
const CODE_MINS = [-8, -16, -32, -64, -128];

/** Without a mode, a weight keeps its storage: float16 stays float16, uint8 stays uint8, the rest float32. */
function keepMode(w: GraphWeight): GraphWeightMode {
  return w.stored === 'float16' ? 'float16' : w.stored === 'uint8' ? 'uint8' : 'float32';
}

/** Whether a node name is one this module generates (so a rewritten model is recognised as such). */
export function isGeneratedName(name: string): boolean {
  return GENERATED_SUFFIXES.some((s) => name.endsWith(s));
}

/**
 * Bits per value of each stored weight of a graph model as its manifest says, by entry name: int4 codes are uint8
 * `/shrinkml_q` entries with `min: -8` (codes -7..7), 5- and 6-bit codes `min: -16` / `-32`, int8 codes `min: -128`;
 * other entries by their storage dtype. For `inspect`/`eval`, which see the codes as the graph's Const weights.
 * A per-channel grid between whole widths (±9 … ±13, ±19, ±23, ±47, ±63) reads as its byte range (5, 6, 7 bits):
 * the manifest does not say the grid; the write's report rows do (`bits`, `entropyBits`).
 */
export function graphWeightBits(specs: readonly { name: string; dtype: string; quantization?: { dtype: string; min?: number } }[]): Record<string, number> {
  const bits: Record<string, number> = {};
  for (const s of specs) {
    const q = s.quantization;
    const narrow = s.name.endsWith('/shrinkml_q') ? ({ [-8]: 4, [-16]: 5, [-32]: 6, [-64]: 7 } as Record<number, number>)[q?.min ?? 0] : undefined;
    bits[s.name] = q ? (q.dtype === 'uint8' ? narrow ?? 8 : 16) : s.dtype === 'float32' || s.dtype === 'int32' ? 32 : 8;
  }
  return bits;
}
