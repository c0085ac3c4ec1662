import { ShrinkmlError } from '../core/errors.js';
import type { ModelProto, NodeProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { countToPrune, keepAllButLowest } from '../prune/select.js';
import { getInt, getInts } from './attrs.js';
import { cloneModel, GraphEditor, type Weight } from './graph.js';
import { setFloatValues } from './prune.js';

/**
 * Structured channel pruning: whole output channels of a Conv (lowest L1 norm of their filters) are removed, with
 * the matching slices of what follows: BatchNormalization parameters, and the input channels of the next Conv or
 * the rows of a Flatten → Gemm/MatMul (NCHW order, or NHWC after shrinkml's Transpose). The graph gets smaller;
 * chains it cannot follow (branches, reshapes, grouped convs) are reported and left alone.
 */
export interface ChannelPruneOptions {
  /** Fraction of each Conv's output channels to remove, in [0, 1). */
  fraction: number;
  exclude?: readonly string[];
  /** Channels every Conv keeps at least. Default 1. */
  minChannels?: number;
}

export interface ChannelPruneReport {
  /** Per pruned Conv: channel counts, the ops pruned through, the consumer, and the kept channel indices. */
  layers: { node: string; before: number; after: number; through: string[]; into: string; kept: number[] }[];
  skipped: { node: string; reason: string }[];
}

const CHANNELWISE = new Set(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'HardSigmoid', 'Softplus', 'Clip', 'Identity',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'BatchNormalization']);

type End =
  | { kind: 'conv'; node: NodeProto; weight: Weight }
  | { kind: 'dense'; node: NodeProto; weight: Weight; order: 'nchw' | 'nhwc'; transB: boolean };

export function pruneChannelsOnnx(input: ModelProto, options: ChannelPruneOptions): { model: ModelProto; report: ChannelPruneReport } {
  if (!(Number.isFinite(options.fraction) && options.fraction >= 0 && options.fraction < 1)) {
    throw new ShrinkmlError('BAD_INPUT', `channel fraction ${options.fraction} is out of range [0, 1)`, { subject: '--prune' });
  }
  const model = cloneModel(input);
  const g = new GraphEditor(model);
  const report: ChannelPruneReport = { layers: [], skipped: [] };
  for (const conv of g.graph.node!.filter((n) => n.opType === 'Conv' && (!n.domain || n.domain === 'ai.onnx'))) {
    const name = conv.name || conv.output![0]!;
    if (options.exclude?.includes(name)) continue;
    const found = follow(g, conv);
    if (typeof found === 'string') { report.skipped.push({ node: name, reason: found }); continue; }
    const { weight, bias, path, end } = found;
    const dims = tensorDims(weight.tensor);
    const m = dims[0]!;
    const values = tensorToFloat32(weight.tensor);
    const per = values.length / m;
    const scores = Float32Array.from({ length: m }, (_, c) => values.subarray(c * per, (c + 1) * per).reduce((a, v) => a + Math.abs(v), 0));
    const remove = Math.min(countToPrune(m, options.fraction), m - Math.max(1, options.minChannels ?? 1));
    if (remove <= 0) continue;
    const keep = keepAllButLowest(scores, remove);
    const kept = [...keep.keys()].filter((c) => keep[c]);
    slice(weight, 0, kept);
    if (bias) slice(bias, 0, kept);
    for (const n of path.filter((p) => p.opType === 'BatchNormalization')) for (const i of n.input!.slice(1)) slice(g.weight(i)!, 0, kept);
    if (end.kind === 'conv') {
      slice(end.weight, 1, kept);
    } else {
      const wd = tensorDims(end.weight.tensor);
      const k = end.transB ? wd[1]! : wd[0]!;
      const hw = k / m;
      const rows = kept.flatMap((c) => Array.from({ length: hw }, (_, s) => (end.order === 'nchw' ? c * hw + s : s * m + c)));
      slice(end.weight, end.transB ? 1 : 0, rows.sort((a, b) => a - b));
    }
    // Declared shapes along the chain are stale now; onnxruntime infers them again.
    const stale = new Set([conv.output![0]!, ...path.flatMap((p) => p.output ?? [])]);
    g.graph.valueInfo = (g.graph.valueInfo ?? []).filter((v) => !stale.has(v.name ?? ''));
    report.layers.push({ node: name, before: m, after: kept.length, through: path.map((p) => p.opType!), into: end.node.name || end.node.opType!, kept });
  }
  return { model, report };
}

/** The chain from a Conv to the node that reads its channels, or why it cannot be pruned. */
function follow(g: GraphEditor, conv: NodeProto): string | { weight: Weight; bias?: Weight; path: NodeProto[]; end: End } {
  if (getInt(conv, 'group', 1) !== 1) return 'grouped or depthwise convolution';
  const weight = g.weight(conv.input![1] ?? '');
  if (!weight || weight.tensor.dataType !== DataType.FLOAT || tensorDims(weight.tensor).length !== 4) return 'its weight is not a constant 4-D float tensor';
  const bias = conv.input![2] ? g.weight(conv.input![2]) : undefined;
  if (conv.input![2] && !bias) return 'its bias is not a constant';
  if ([weight, bias].some((w) => w && g.useCount(w.name) !== 1)) return 'its weights are shared with other nodes';
  const m = tensorDims(weight.tensor)[0]!;
  const path: NodeProto[] = [];
  let t = conv.output![0]!;
  for (;;) {
    if (g.useCount(t) !== 1) return `'${t}' is read by more than one node or is a graph output`;
    const next = g.consumers(t)[0]!;
    if (next.input![0] !== t) return `'${t}' is not the data input of ${next.opType}`;
    if (next.opType === 'Conv') {
      const w = g.weight(next.input![1] ?? '');
      if (getInt(next, 'group', 1) !== 1 || !w || tensorDims(w.tensor)[1] !== m || g.useCount(w.name) !== 1) return 'the next Conv is grouped or has no private constant weight';
      return { weight, bias, path, end: { kind: 'conv', node: next, weight: w } };
    }
    if (next.opType === 'Transpose' && (getInts(next, 'perm') ?? []).join() === '0,2,3,1') {
      const flat = single(g, next.output![0]!, 'Flatten');
      const dense = flat && getInt(flat, 'axis', 1) === 1 ? denseAfter(g, flat, m, 'nhwc') : undefined;
      if (!dense) return 'Transpose is not followed by Flatten → Gemm/MatMul';
      return { weight, bias, path, end: dense };
    }
    if (next.opType === 'Flatten') {
      const dense = getInt(next, 'axis', 1) === 1 ? denseAfter(g, next, m, 'nchw') : undefined;
      if (!dense) return 'Flatten is not followed by a Gemm/MatMul with a matching constant weight';
      return { weight, bias, path, end: dense };
    }
    if (!CHANNELWISE.has(next.opType ?? '') || (next.domain && next.domain !== 'ai.onnx')) return `${next.opType} '${next.name}' is not a channel-wise op it can prune through`;
    if (next.opType === 'BatchNormalization' && next.input!.slice(1).some((i) => !g.weight(i) || g.useCount(i) !== 1)) return 'BatchNormalization parameters are not private constants';
    path.push(next);
    t = next.output![0]!;
  }
}

function single(g: GraphEditor, t: string, opType: string): NodeProto | undefined {
  const users = g.consumers(t);
  return users.length === 1 && g.useCount(t) === 1 && users[0]!.opType === opType && users[0]!.input![0] === t ? users[0] : undefined;
}

function denseAfter(g: GraphEditor, flat: NodeProto, m: number, order: 'nchw' | 'nhwc'): End | undefined {
  const out = flat.output![0]!;
  const users = g.consumers(out);
  if (users.length !== 1 || g.useCount(out) !== 1) return undefined;
  const d = users[0]!;
  if ((d.opType !== 'Gemm' && d.opType !== 'MatMul') || d.input![0] !== out || getInt(d, 'transA', 0) !== 0) return undefined;
  const w = g.weight(d.input![1] ?? '');
  if (!w || w.tensor.dataType !== DataType.FLOAT || g.useCount(w.name) !== 1) return undefined;
  const dims = tensorDims(w.tensor);
  const transB = d.opType === 'Gemm' && getInt(d, 'transB', 0) === 1;
  const k = transB ? dims[1]! : dims[0]!;
  if (dims.length !== 2 || k % m !== 0) return undefined;
  return { kind: 'dense', node: d, weight: w, order, transB };
}

/** Keeps the listed indices of one axis of a constant (in place, in the initializer or Constant node). */
function slice(w: Weight, axis: number, keep: readonly number[]): void {
  const dims = tensorDims(w.tensor);
  const values = tensorToFloat32(w.tensor);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outer * keep.length * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const k of keep) {
      const from = (o * dims[axis]! + k) * inner;
      out.set(values.subarray(from, from + inner), at);
      at += inner;
    }
  }
  const next = [...dims];
  next[axis] = keep.length;
  setFloatValues(w.tensor, out, next);
}
