import { ShrinkmlError } from '../../core/errors.js';
import { affineParams } from '../../core/numerics.js';
import { GRAPH_INT8_OPS, type GraphInt8OpKind } from '../../runtime/graph-format.js';
import { ACTIVATION_RANGE } from '../../runtime/quantize-input.js';
import type { ModelJson } from '../manifest.js';
import type { EncodedGraphWeight } from './quantize.js';
import { attrString, graphNodes, producerOf, type NodeDef, type WeightRole } from './roles.js';
import type { GraphWeight } from './weights.js';

/**
 * Static int8 compute for graph models (docs/graph-models.md "Static int8 compute"). Conv2D, DepthwiseConv2dNative
 * and MatMul nodes (and the converter's _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul with BiasAdd and
 * Relu/Relu6) whose filter is a Const become shrinkml's int8 graph ops (src/runtime/graph-format.ts), with the
 * filter as per-channel int8 codes (the bytes of weights:int8) and the input's calibrated int8 grid as attrs. An
 * op whose consumers are all int8 ops hands them int8 codes (requantized in its epilogue); every other int8 input
 * gets one quantize node. An Add/AddV2 of two outputs of int8 ops (or of such Adds) with one channel count runs as an
 * int8 Add, so residual blocks stay int8 end to end. An AvgPool/MaxPool of such an output whose readers all take int8
 * (directly or through a Squeeze of the pooled H and W, a global pool's head) pools the codes (the fused int8 pool
 * kernels), so MobileNet-style heads stay int8 into their MatMul. Anything else stays float, with a note for each
 * convolution/matmul that could not run int8.
 */

/** One node to run in int8. */
export interface Int8OpPlan {
  node: string;
  kind: GraphInt8OpKind;
  /** The float input tensor as the node names it ('name' or 'name:1'). */
  input: string;
  weight: string;
  bias?: string;
  activation: 'linear' | 'relu' | 'relu6';
  /** Output channels (the last axis of the output). */
  channels: number;
}

/** An Add/AddV2 run as the int8 Add: both inputs on their own int8 grids, the sum requantized. */
export interface Int8AddPlan {
  node: string;
  /** The two input tensors ('name' or 'name:1'), each the output of an int8 op or of another planned Add. */
  inputs: [string, string];
  /** Channels of both inputs and of the sum. */
  channels: number;
}

/**
 * An AvgPool/MaxPool run on int8 codes: its output is on its input's grid (no requantization), which every reader
 * then uses as its input grid. Average: nearest(Σq / count), ties to even (kernels/fused-int8 poolInt8Ref).
 */
export interface Int8PoolPlan {
  node: string;
  /** The pooled tensor: the output of an int8 op, int8 Add or planned pool. */
  input: string;
  pooling: 'avg' | 'max';
  /** A Squeeze of axes 1 and 2 between the pool and its int8 readers: it passes the codes on unchanged. */
  squeeze?: string;
}

export interface StaticInt8Plan {
  ops: Int8OpPlan[];
  adds: Int8AddPlan[];
  /** Absent in plans made before int8 pooling (none pooled). */
  pools?: Int8PoolPlan[];
  /** The tensors whose range calibration must observe: every int8 op's, int8 Add's and int8 pool's input. */
  tensors: string[];
  /** Convolutions/matmuls that stay float, and why (`node (op): reason`). */
  notes: string[];
}

export interface ActivationRange { min: number; max: number }

/** What the writer needs for static int8: the plan and each planned tensor's calibrated range. */
export interface StaticInt8 {
  plan: StaticInt8Plan;
  ranges: Record<string, ActivationRange>;
}

const KIND: Record<string, GraphInt8OpKind> = {
  Conv2D: 'conv', _FusedConv2D: 'conv', DepthwiseConv2dNative: 'depthwise', FusedDepthwiseConv2dNative: 'depthwise',
  MatMul: 'matmul', _FusedMatMul: 'matmul',
};

// Attribute strings come base64-encoded (current converters) or as byte arrays (older ones): attrString reads both.
const decode = attrString;
const encode = (s: string) => btoa(s);
const ints = (attr: any): number[] | undefined => attr?.list?.i?.map((v: string | number) => Number(v));

/** 'name:0' → 'name' (the form GraphModel.execute and node inputs both accept). */
export function tensorName(input: string): string {
  return input.replace(/:0$/, '');
}

/** The plan for node `n`, or why it stays float. */
function planNode(n: NodeDef, weights: Map<string, GraphWeight>, roles: Map<string, WeightRole>): Int8OpPlan | string {
  const kind = KIND[n.op]!;
  const inputs = (n.input ?? []).filter((i) => !i.startsWith('^'));
  const w = weights.get(producerOf(inputs[1] ?? '').name);
  if (!w || !(w.values instanceof Float32Array) || w.dtype !== 'float32') return 'its filter is not a float32 Const weight';
  const role = roles.get(w.name)!;
  if (role.kind !== (kind === 'depthwise' ? 'depthwise' : 'conv') || role.inFunction) return 'its filter is not read as a kernel by every reader';
  const attr = n.attr ?? {};
  const format = decode(attr.data_format?.s);
  if (format && format !== 'NHWC') return `data_format ${format} (int8 ops take NHWC)`;
  if ((ints(attr.dilations) ?? [1]).some((d) => d !== 1)) return 'dilated convolution';
  if (kind === 'matmul') {
    if (attr.transpose_a?.b) return 'transpose_a';
    if (w.shape.length !== 2) return `filter of rank ${w.shape.length}`;
  } else {
    const pad = decode(attr.padding?.s);
    if (pad !== 'SAME' && pad !== 'VALID') return `padding ${pad ?? '(none)'} (int8 ops take SAME or VALID)`;
    const s = ints(attr.strides) ?? [];
    if (s.length !== 4 || s[0] !== 1 || s[3] !== 1) return `strides [${s}]`;
  }
  const fused = ((attr.fused_ops?.list?.s ?? []) as (string | number[])[]).map((s) => attrString(s)!);
  if (fused.length && (fused[0] !== 'BiasAdd' || fused.length > 2 || (fused[1] && fused[1] !== 'Relu' && fused[1] !== 'Relu6'))) {
    return `fused ops [${fused.join(', ')}] (int8 ops fuse BiasAdd and Relu/Relu6)`;
  }
  const out = w.shape[w.shape.length - 1]! * (kind === 'depthwise' ? w.shape[2]! : 1);
  const channels = kind === 'matmul' && attr.transpose_b?.b ? w.shape[0]! : out;
  let bias: string | undefined;
  if (fused.length) {
    const b = weights.get(producerOf(inputs[2] ?? '').name);
    if (inputs.length !== 3 || !b || !(b.values instanceof Float32Array) || b.values.length !== channels) return 'its bias is not a float32 Const of one value per channel';
    bias = b.name;
  } else if (inputs.length !== 2) return `${inputs.length} inputs`;
  const activation = fused[1] === 'Relu' ? 'relu' : fused[1] === 'Relu6' ? 'relu6' : 'linear';
  return { node: n.name, kind, input: tensorName(inputs[0]!), weight: w.name, bias, activation, channels };
}

/**
 * Which nodes of the main graph run int8. A filter read by a node that stays float keeps all its readers float
 * (the stored codes would otherwise need both forms). Throws when no node can run int8, naming the first refused.
 */
export function planStaticInt8(o: {
  json: ModelJson; weights: GraphWeight[]; roles: Map<string, WeightRole>; file: string;
  /** Nodes the user keeps float (`exclude`). */
  exclude?: (node: string) => boolean;
}): StaticInt8Plan {
  const { main } = graphNodes(o.json.modelTopology as Record<string, any>);
  const weights = new Map(o.weights.map((w) => [w.name, w]));
  const notes: string[] = [];
  let ops: Int8OpPlan[] = [];
  for (const n of main) {
    if (!(n.op in KIND)) continue;
    if (o.exclude?.(n.name)) { notes.push(`${n.name} (${n.op}): excluded; stays float`); continue; }
    const p = planNode(n, weights, o.roles);
    if (typeof p === 'string') notes.push(`${n.name} (${n.op}): ${p}; stays float`);
    else ops.push(p);
  }
  const planned = new Set(ops.map((p) => p.node));
  ops = ops.filter((p) => {
    const other = o.roles.get(p.weight)!.readers.find((r) => !planned.has(r.slice(r.indexOf(':') + 1)));
    if (other) notes.push(`${p.node}: its filter is also read by ${other}, which stays float; stays float`);
    return !other;
  });
  if (ops.length === 0) {
    throw new ShrinkmlError('UNSUPPORTED', `${o.file}: no node can run int8${notes.length ? `: ${notes[0]}` : ' (no Conv2D, DepthwiseConv2dNative or MatMul with a Const filter)'}`, {
      subject: o.file, suggestion: 'use --quantize weights:int8 (weight-only, any graph)',
    });
  }
  const adds = planAdds(main, ops, o.exclude);
  const pools = planPools(main, ops, adds, graphOutputs(o.json), o.exclude);
  return { ops, adds, pools, tensors: [...new Set([...ops.map((p) => p.input), ...adds.flatMap((a) => a.inputs), ...pools.map((p) => p.input)])], notes };
}

/** The graph's output tensors (the signature's, as node names). */
function graphOutputs(json: ModelJson): Set<string> {
  return new Set(Object.values((json as any).signature?.outputs ?? {}).map((v: any) => tensorName(String(v.name))));
}

/** Readers of each tensor of `main` ('name' / 'name:1'), with the input position they read it at. */
function readersOf(main: NodeDef[]): Map<string, { node: NodeDef; index: number }[]> {
  const readers = new Map<string, { node: NodeDef; index: number }[]>();
  for (const n of main) {
    (n.input ?? []).forEach((input, index) => {
      if (input.startsWith('^')) return;
      const t = tensorName(input);
      readers.set(t, [...(readers.get(t) ?? []), { node: n, index }]);
    });
  }
  return readers;
}

/**
 * Whether tensor `t` can stay int8 codes: it is no graph output and every reader takes it as an int8 activation
 * input (an int8 op's or planned pool's input 0, an int8 Add's inputs 0 and 1). Planning and rewriting share it.
 */
function readersTakeCodes(t: string, readers: Map<string, { node: NodeDef; index: number }[]>, outputs: Set<string>, int8: { ops: { has(node: string): boolean }; adds: { has(node: string): boolean }; pools: { has(node: string): boolean } }): boolean {
  const rs = readers.get(t) ?? [];
  return rs.length > 0 && !outputs.has(t) &&
    rs.every((r) => (r.index === 0 && (int8.ops.has(r.node.name) || int8.pools.has(r.node.name))) || (r.index <= 1 && int8.adds.has(r.node.name)));
}

const POOL_OPS: Record<string, Int8PoolPlan['pooling']> = { AvgPool: 'avg', MaxPool: 'max' };

/** A Squeeze that drops only the pooled H and W (axes 1, 2 of NHWC): the packed channel words pass through. */
function squeezesHW(n: NodeDef): boolean {
  const dims = ints(n.attr?.squeeze_dims) ?? ints(n.attr?.axis) ?? [];
  return n.op === 'Squeeze' && dims.length > 0 && dims.every((d) => d === 1 || d === 2);
}

/**
 * The pools that run on codes: NHWC AvgPool/MaxPool (float, SAME/VALID, ksize and strides [1, h, w, 1]) of an int8
 * op's, int8 Add's or planned pool's output, whose every reader takes int8 codes (an op's input 0, an Add's inputs,
 * a planned pool), directly or through one Squeeze of axes 1, 2. Dropping a pool can disqualify the pool that
 * feeds it, so the choice is repeated until it settles.
 */
function planPools(main: NodeDef[], ops: Int8OpPlan[], adds: Int8AddPlan[], outputs: Set<string>, exclude?: (node: string) => boolean): Int8PoolPlan[] {
  const opNodes = new Set(ops.map((p) => p.node));
  const addNodes = new Set(adds.map((a) => a.node));
  const readers = readersOf(main);
  let pools: Int8PoolPlan[] = [];
  for (const n of main) {
    const pooling = POOL_OPS[n.op];
    const inputs = (n.input ?? []).filter((i) => !i.startsWith('^'));
    if (!pooling || exclude?.(n.name) || inputs.length !== 1) continue;
    const a = n.attr ?? {};
    const k = ints(a.ksize) ?? [];
    const st = ints(a.strides) ?? [];
    const format = decode(a.data_format?.s);
    const pad = decode(a.padding?.s);
    if ((a.T?.type && a.T.type !== 'DT_FLOAT') || (format && format !== 'NHWC') || (pad !== 'SAME' && pad !== 'VALID')) continue;
    if (k.length !== 4 || k[0] !== 1 || k[3] !== 1 || st.length !== 4 || st[0] !== 1 || st[3] !== 1) continue;
    pools.push({ node: n.name, input: tensorName(inputs[0]!), pooling });
  }
  for (let changed = true; changed;) {
    const poolNodes = new Set(pools.map((p) => p.node));
    const allTakeCodes = (t: string) => readersTakeCodes(t, readers, outputs, { ops: opNodes, adds: addNodes, pools: poolNodes });
    const kept = pools.flatMap((p): Int8PoolPlan[] => {
      if (!opNodes.has(p.input) && !addNodes.has(p.input) && !poolNodes.has(p.input)) return [];
      const rs = readers.get(p.node) ?? [];
      const sq = rs.length === 1 && rs[0]!.index === 0 && squeezesHW(rs[0]!.node) && !outputs.has(p.node) ? rs[0]!.node.name : undefined;
      if (sq ? !allTakeCodes(sq) : !allTakeCodes(p.node)) return [];
      return [{ node: p.node, input: p.input, pooling: p.pooling, ...(sq ? { squeeze: sq } : {}) }];
    });
    changed = kept.length !== pools.length;
    pools = kept;
  }
  return pools;
}

const ADD_OPS = new Set(['Add', 'AddV2']);

/**
 * The Adds that run int8: float, two inputs, each the output of a planned op or of an Add planned before (repeated
 * until none is added, so chains of residual Adds in any node order), with one channel count. An Add of anything
 * else (a float op's output, a Const) stays the float Add it was.
 */
function planAdds(main: NodeDef[], ops: Int8OpPlan[], exclude?: (node: string) => boolean): Int8AddPlan[] {
  const channels = new Map(ops.map((p) => [p.node, p.channels]));
  const adds: Int8AddPlan[] = [];
  for (let grew = true; grew;) {
    grew = false;
    for (const n of main) {
      if (!ADD_OPS.has(n.op) || channels.has(n.name) || exclude?.(n.name)) continue;
      const t = n.attr?.T?.type;
      const inputs = (n.input ?? []).filter((i) => !i.startsWith('^')).map(tensorName);
      if ((t && t !== 'DT_FLOAT') || inputs.length !== 2) continue;
      const [a, b] = inputs.map((i) => channels.get(i));
      if (a === undefined || a !== b) continue;
      channels.set(n.name, a);
      adds.push({ node: n.name, inputs: [inputs[0]!, inputs[1]!], channels: a });
      grew = true;
    }
  }
  return adds;
}

const f = (v: number) => ({ f: v });
const i = (v: number) => ({ i: String(v) });
const s = (v: string) => ({ s: encode(v) });

function paramsOf(ranges: Record<string, ActivationRange>, tensor: string, file: string) {
  const r = ranges[tensor];
  if (!r) throw new ShrinkmlError('INTERNAL', `${file}: no calibrated range for tensor '${tensor}'`, { subject: tensor });
  try {
    return affineParams({ min: r.min, max: r.max, range: ACTIVATION_RANGE });
  } catch (e) {
    throw new ShrinkmlError('UNSUPPORTED', `${file}: tensor '${tensor}' has no finite range on the calibration data ([${r.min}, ${r.max}])`, { subject: tensor, cause: e });
  }
}

/**
 * Rewrites the planned nodes in place of `main` (returns the replacement list of each node, by name) and turns the
 * planned filters' int8 encodings (codes, broadcast scales, Mul) into codes + a 1-D scale vector (no Mul: the int8
 * op applies the scales). `encoded` holds every weight encoded as weights:int8.
 */
export function rewriteInt8Ops(o: {
  json: ModelJson; main: NodeDef[]; encoded: Map<string, EncodedGraphWeight>; staticInt8: StaticInt8; file: string;
}): Map<string, NodeDef[]> {
  const { plan, ranges } = o.staticInt8;
  const names = new Set(o.main.map((n) => n.name));
  const byNode = new Map(plan.ops.map((p) => [p.node, p]));
  const addByNode = new Map((plan.adds ?? []).map((a) => [a.node, a]));
  const pools = plan.pools ?? [];
  const poolByNode = new Map(pools.map((p) => [p.node, p]));
  // A pool's output (and its Squeeze's) is codes on the pool input's grid.
  const poolByOutput = new Map(pools.flatMap((p) => [[p.node, p], ...(p.squeeze ? [[p.squeeze, p] as const] : [])]));
  const gridOf = (t: string): string => { const p = poolByOutput.get(t); return p ? gridOf(p.input) : t; };
  const consumers = readersOf(o.main);
  const signatureOutputs = graphOutputs(o.json);
  // A planned node hands int8 codes on when every reader takes them.
  const int8Out = (node: string) => readersTakeCodes(node, consumers, signatureOutputs, { ops: byNode, adds: addByNode, pools: poolByNode });

  for (const p of plan.ops) {
    const e = o.encoded.get(p.weight);
    const channels = e?.scaleCount;
    if (!e || e.scheme !== 'int8-channel' || !channels) throw new ShrinkmlError('INTERNAL', `${o.file}: filter '${p.weight}' of '${p.node}' is not int8 per channel`, { subject: p.node });
    if (e.nodes.length === 3) {
      // [codes, scales, Mul]: the scales become a vector, the Mul goes.
      e.parts[1]!.entry = { ...e.parts[1]!.entry, shape: [channels] };
      e.nodes[1]!.attr!.value.tensor.tensorShape = { dim: [{ size: String(channels) }] };
      e.nodes.splice(2, 1);
    }
  }

  const out = new Map<string, NodeDef[]>();
  const quantizers = new Map<string, string>();
  /** The int8 form of `input` for node n: the producer's codes, or one quantize node per tensor (in `before`). */
  const int8Input = (n: NodeDef, input: string, before: NodeDef[]) => {
    if (poolByOutput.has(input) || ((byNode.has(input) || addByNode.has(input) || poolByNode.has(input)) && int8Out(input))) return input;
    let q = quantizers.get(input);
    if (!q) {
      const a = paramsOf(ranges, input, o.file);
      q = `${input.replace(/:(\d+)$/, '_$1')}/shrinkml_quantize`;
      if (names.has(q)) throw new ShrinkmlError('UNSUPPORTED', `${o.file}: node '${n.name}' cannot be rewritten: the graph already has a node '${q}'`, { subject: n.name });
      quantizers.set(input, q);
      before.push({ name: q, op: GRAPH_INT8_OPS.quantize, input: [input], attr: { scale: f(a.scale), zero_point: i(a.zeroPoint) }, ...(n.device ? { device: n.device } : {}) });
    }
    return q;
  };
  /** out_scale / out_zero_point when the node hands int8 on. */
  const outAttrs = (node: string) => {
    if (!int8Out(node)) return {};
    const q = paramsOf(ranges, node, o.file);
    return { out_scale: f(q.scale), out_zero_point: i(q.zeroPoint) };
  };
  for (const n of o.main) {
    const add = addByNode.get(n.name);
    if (add) {
      const before: NodeDef[] = [];
      const [pa, pb] = add.inputs.map((t) => paramsOf(ranges, gridOf(t), o.file));
      const inputs = add.inputs.map((t) => int8Input(n, t, before));
      out.set(n.name, [...before, {
        name: n.name, op: GRAPH_INT8_OPS.add, input: [...inputs, ...(n.input ?? []).filter((v) => v.startsWith('^'))],
        attr: { activation: s('linear'), channels: i(add.channels), a_scale: f(pa!.scale), a_zero_point: i(pa!.zeroPoint),
          b_scale: f(pb!.scale), b_zero_point: i(pb!.zeroPoint), ...outAttrs(n.name) },
        ...(n.device ? { device: n.device } : {}),
      }]);
      continue;
    }
    const pool = poolByNode.get(n.name);
    if (pool) {
      const a = paramsOf(ranges, gridOf(pool.input), o.file);
      const before: NodeDef[] = [];
      const x = int8Input(n, pool.input, before);
      out.set(n.name, [...before, {
        name: n.name, op: GRAPH_INT8_OPS.pool, input: [x, ...(n.input ?? []).filter((v) => v.startsWith('^'))],
        attr: { pooling: s(pool.pooling), ksize: n.attr!.ksize, strides: n.attr!.strides, padding: n.attr!.padding, a_scale: f(a.scale), a_zero_point: i(a.zeroPoint) },
        ...(n.device ? { device: n.device } : {}),
      }]);
      continue;
    }
    const p = byNode.get(n.name);
    if (!p) continue;
    const a = paramsOf(ranges, gridOf(p.input), o.file);
    const before: NodeDef[] = [];
    const x = int8Input(n, p.input, before);
    const attr: Record<string, unknown> = { activation: s(p.activation), a_scale: f(a.scale), a_zero_point: i(a.zeroPoint), ...outAttrs(p.node) };
    if (p.kind === 'matmul') {
      if (n.attr?.transpose_b?.b) attr.transpose_b = { b: true };
    } else {
      attr.strides = n.attr!.strides;
      attr.padding = n.attr!.padding;
    }
    const control = (n.input ?? []).filter((v) => v.startsWith('^'));
    out.set(n.name, [...before, {
      name: n.name, op: GRAPH_INT8_OPS[p.kind],
      input: [x, `${p.weight}/shrinkml_q`, `${p.weight}/shrinkml_scale`, ...(p.bias ? [p.bias] : []), ...control],
      attr, ...(n.device ? { device: n.device } : {}),
    }]);
  }
  return out;
}
