import { affineParams, qRange, quantize } from '../core/numerics.js';
import type { ModelProto, NodeProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { makeTensor, tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { attr, getInt } from './attrs.js';
import { forEachGraph } from '../formats/onnx/walk.js';
import { cloneModel, finishEditors, graphEditors, importDomain, node, type GraphEditor } from './graph.js';
import { toMatMulNBits } from './matmul-nbits.js';
import { floatKept, quantizeWeights } from './quant-weights.js';

/**
 * Weight-only storage (`--quantize weights:<format>`): the file is smaller, inputs, outputs and compute stay float32.
 * Every large float constant of every graph (initializers and Constant nodes, If/Loop bodies included) is replaced by
 * a node producing the same name from smaller storage, so no reader changes:
 * - float16: fp16 initializer → Cast(float) (onnxruntime folds the Cast at load);
 * - uint8: per-tensor asymmetric uint8 → DequantizeLinear (as tfjs's uint8 weight storage);
 * - int8: symmetric int8 per output channel (of the consumer: Conv axis 0, MatMul/Gemm the output column) →
 *   DequantizeLinear(axis); per tensor below opset 13, which has no per-axis DequantizeLinear;
 * - int4: MatMul/Gemm with constant weights become com.microsoft MatMulNBits (4-bit, block 32, symmetric; see
 *   ./matmul-nbits.ts); every other weight is int8 per channel, as no runtime has a 4-bit kernel for it.
 * The report lists the bits of every float weight, those left float32 (small or unsupported) included.
 */
export type WeightFormat = 'float16' | 'uint8' | 'int8' | 'int4';

export interface WeightOnlyOptions {
  /** 'fp16' is the older name of 'float16'. */
  format: WeightFormat | 'fp16';
  /**
   * Constants with fewer elements stay float32. Default 64 for tensors of rank ≥ 2 (kernels, depthwise filters
   * included); 1-D tensors (biases, normalization parameters) stay float32 below 4096 elements.
   */
  minElements?: number;
  /** Node names whose weights stay float32. */
  exclude?: readonly string[];
  /**
   * Node name → the axis of its weight that int8 scales run along, in place of the output channel (opset ≥ 13). A
   * windowed filter bank such as an STFT basis [bins, 1, taps] wants one scale per tap, not per bin: the window makes
   * the edge taps small in every row. The weight fallback (./weight-sensitivity.ts) picks these by measured error.
   */
  axes?: Readonly<Record<string, number>>;
  /**
   * float16: node name → axis; that node's weight is stored as two int8 terms with scales along the axis instead,
   * s₁·q₁ + s₂·q₂ (two DequantizeLinear → Add): the bytes of fp16 and about 15 bits against its 11 where one axis
   * spans the values (Silero VAD's Hann-windowed STFT basis per tap). Picked by the weight fallback.
   */
  pairs?: Readonly<Record<string, number>>;
}

export interface StoredWeight {
  weight: string;
  shape: number[];
  /** Bits per value as stored: 32, 16, 8 or 4 (scales not counted; bytesAfter counts them). */
  bits: 32 | 16 | 8 | 4;
  storage: 'float32' | 'float16' | 'uint8' | 'int8' | 'int4' | 'int8x2';
  perChannel?: boolean;
  /** Why a weight stayed float32. */
  reason?: string;
  bytesBefore: number;
  bytesAfter: number;
  /** 'main graph' or the subgraph holding it. */
  graph: string;
}

export interface WeightOnlyReport { format: WeightFormat; weights: StoredWeight[]; notes?: string[] }

export function storeWeights(input: ModelProto, options: WeightOnlyOptions): { model: ModelProto; report: WeightOnlyReport } {
  const format: WeightFormat = options.format === 'fp16' ? 'float16' : options.format;
  const model = cloneModel(input);
  const editors = graphEditors(model);
  const opset = editors[0]!.opset();
  const report: WeightOnlyReport = { format, weights: [] };
  const minElements = options.minElements ?? 64;
  const smallerThan = (dims: readonly number[]) => (dims.length <= 1 && options.minElements === undefined ? 4096 : minElements);
  const excluded = new Set<string>();
  const axes = new Map<string, number>();
  const pairs = new Map<string, number>();
  const kept = floatKept(input);
  let nbits = false;
  // Collected over every graph first: a weight of the main graph may be read by an excluded node in a branch.
  for (const g of editors) {
    for (const n of g.graph.node!) {
      if (options.exclude?.includes(n.name ?? '')) for (const i of n.input ?? []) excluded.add(i);
      const axis = options.axes?.[n.name ?? ''];
      if (axis !== undefined && n.input?.[1]) axes.set(n.input[1], axis);
      const pair = options.pairs?.[n.name ?? ''];
      if (pair !== undefined && n.input?.[1]) pairs.set(n.input[1], pair);
    }
  }
  for (const g of editors) {
    const names = [...g.graph.initializer!.map((t) => t.name ?? ''), ...g.graph.node!.filter((n) => n.opType === 'Constant').map((n) => n.output![0]!)];
    if (format === 'int4') {
      for (const n of [...g.graph.node!]) {
        if ((n.opType !== 'MatMul' && n.opType !== 'Gemm') || (n.domain && n.domain !== 'ai.onnx') || excluded.has(n.input?.[1] ?? '')) continue;
        const w = g.weight(n.input?.[1] ?? '');
        if (!w || w.tensor.dataType !== DataType.FLOAT || count(tensorDims(w.tensor)) < smallerThan(tensorDims(w.tensor))) continue;
        const done = toMatMulNBits(g, n);
        if (typeof done === 'string') continue;
        nbits = true;
        report.weights.push({ weight: done.weight, shape: done.shape, bits: 4, storage: 'int4', perChannel: true, bytesBefore: 4 * count(done.shape), bytesAfter: done.bytes, graph: g.where() });
      }
      g.refresh();
    }
    for (const name of names) {
      const w = g.weight(name);
      if (!w || w.outer || w.tensor.dataType !== DataType.FLOAT || g.useCount(name) === 0) continue;
      const dims = tensorDims(w.tensor);
      const values = tensorToFloat32(w.tensor);
      const entry = { weight: name, shape: dims, bytesBefore: 4 * values.length, graph: g.where() };
      const keep = (reason: string) => report.weights.push({ ...entry, bits: 32, storage: 'float32', reason, bytesAfter: 4 * values.length });
      if (values.length < smallerThan(dims)) { keep(`fewer than ${smallerThan(dims)} values`); continue; }
      if (excluded.has(name)) { keep('excluded'); continue; }
      const small = format === 'float16' ? undefined : kept.get(name);
      if (small) { keep(small); continue; }
      if (format !== 'float16' && opset < 10) { keep(`opset ${opset} has no DequantizeLinear (needs 10)`); continue; }
      const pair = format === 'float16' && opset >= 13 ? pairs.get(name) : undefined;
      const stored = pair !== undefined && pair < dims.length ? int8Pair(g, name, dims, values, pair)
        : replaceWeight(g, name, dims, values, format === 'int4' ? 'int8' : format, opset, axes.get(name));
      report.weights.push({ ...entry, ...stored });
      if (w.source === 'initializer') g.graph.initializer = g.graph.initializer!.filter((t) => t !== w.tensor);
      if (w.node) g.replace(w.node, stored.nodes);
      else g.graph.node!.unshift(...stored.nodes);
      delete (report.weights[report.weights.length - 1] as { nodes?: unknown }).nodes;
    }
  }
  finishEditors(editors);
  if (nbits) importDomain(model, 'com.microsoft', 1);
  if (format === 'int4' && report.weights.some((w) => w.storage === 'int8')) {
    report.notes = ['int4 is MatMul/Gemm only (MatMulNBits); other weights (Conv, Gather, recurrent) are int8 per channel'];
  }
  return { model, report };
}

const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function replaceWeight(g: GraphEditor, name: string, dims: number[], values: Float32Array, format: 'float16' | 'uint8' | 'int8', opset: number, scaleAxis?: number):
  Omit<StoredWeight, 'weight' | 'shape' | 'bytesBefore' | 'graph'> & { nodes: NodeProto[] } {
  const stored = g.unique(`${name}_${format}`);
  if (format === 'float16') {
    g.addInitializer(makeTensor({ name: stored, dims, dtype: 'float16', values }));
    return { bits: 16, storage: 'float16', bytesAfter: 2 * values.length, nodes: [node('Cast', [stored], [name], g.unique(`${name}_Cast`), [attr.int('to', DataType.FLOAT)])] };
  }
  let q: Int32Array;
  let scales: Float32Array;
  let zeroPoints: Int32Array;
  let axis: number | undefined;
  if (format === 'uint8') {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) { min = Math.min(min, v); max = Math.max(max, v); }
    const params = affineParams({ min, max, range: qRange({ dtype: 'uint8' }) });
    q = quantize(values, { params, range: qRange({ dtype: 'uint8' }) });
    scales = Float32Array.of(params.scale);
    zeroPoints = Int32Array.of(params.zeroPoint);
  } else {
    axis = opset >= 13 && dims.length > 1 ? (scaleAxis !== undefined && scaleAxis < dims.length ? scaleAxis : channelAxis(g, name, dims.length)) : undefined;
    ({ q, scales } = quantizeWeights(values, dims, { axis }));
    zeroPoints = new Int32Array(scales.length);
  }
  const cdims = axis === undefined ? [] : [scales.length];
  g.addInitializer(makeTensor({ name: stored, dims, dtype: format, values: q }));
  const scale = g.addInitializer(makeTensor({ name: g.unique(`${name}_scale`), dims: cdims, dtype: 'float32', values: scales }));
  // int8 is symmetric: its zero point is 0, which an absent input means (of x's type), a byte per channel less; a
  // small model's many narrow layers pay it (BlazeFace: 3.49× → 3.5×+ weights ratio).
  const zp = format === 'int8' ? [] : [g.addInitializer(makeTensor({ name: g.unique(`${name}_zero_point`), dims: cdims, dtype: format, values: zeroPoints }))];
  const dq = node('DequantizeLinear', [stored, scale, ...zp], [name], g.unique(`${name}_DequantizeLinear`), axis === undefined ? [] : [attr.int('axis', axis)]);
  return { bits: 8, storage: format, perChannel: axis !== undefined, bytesAfter: values.length + (format === 'int8' ? 4 : 5) * scales.length, nodes: [dq] };
}

/** `values` as s₁·q₁ + s₂·q₂, int8 per channel along `axis`: the second term rounds the first's error. */
function int8Pair(g: GraphEditor, name: string, dims: number[], values: Float32Array, axis: number): Omit<StoredWeight, 'weight' | 'shape' | 'bytesBefore' | 'graph'> & { nodes: NodeProto[] } {
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const first = quantizeWeights(values, dims, { axis });
  const rest = values.map((v, i) => v - first.q[i]! * first.scales[Math.floor(i / inner) % dims[axis]!]!);
  const second = quantizeWeights(rest, dims, { axis });
  const terms = [first, second].map(({ q, scales }, t) => {
    const codes = g.addInitializer(makeTensor({ name: g.unique(`${name}_int8_${t}`), dims, dtype: 'int8', values: q }));
    const scale = g.addInitializer(makeTensor({ name: g.unique(`${name}_scale_${t}`), dims: [scales.length], dtype: 'float32', values: scales }));
    return node('DequantizeLinear', [codes, scale], [g.unique(`${name}_term_${t}`)], g.unique(`${name}_DequantizeLinear_${t}`), [attr.int('axis', axis)]);
  });
  const add = node('Add', [terms[0]!.output![0]!, terms[1]!.output![0]!], [name], g.unique(`${name}_Add`));
  return { bits: 16, storage: 'int8x2', perChannel: true, bytesAfter: 2 * values.length + 8 * dims[axis]!, nodes: [...terms, add] };
}

/** The output-channel axis of a weight, read from the nodes that consume it (axis 0 when they disagree). */
function channelAxis(g: GraphEditor, name: string, rank: number): number {
  const axes = new Set<number>();
  const readers: NodeProto[] = [];
  forEachGraph(g.graph, (sub) => { for (const n of sub.node ?? []) if ((n.input ?? []).includes(name)) readers.push(n); });
  for (const n of readers) {
    const slot = n.input!.indexOf(name);
    const op = n.domain && n.domain !== 'ai.onnx' ? '' : n.opType;
    if (op === 'MatMul' && slot === 1) axes.add(rank - 1);
    else if (op === 'Gemm' && slot === 1) axes.add(getInt(n, 'transB', 0) === 1 ? 0 : 1);
    else if (op === 'ConvTranspose' && slot === 1) axes.add(1);
    else if ((op === 'LSTM' || op === 'GRU' || op === 'RNN') && (slot === 1 || slot === 2)) axes.add(1);
    else axes.add(0);
  }
  return axes.size === 1 ? [...axes][0]! : 0;
}
