import { type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../../formats/onnx/proto.js';
import { DataType } from '../../formats/onnx/schema.js';
import { tensorDims, tensorToFloat32, tensorToInts } from '../../formats/onnx/tensor.js';
import { getInt, getInts } from '../attrs.js';

/**
 * What the graph says or implies about its values' ranks and element types, for rewrites whose equivalence
 * depends on them (Softmax's axis, Clip's bound type). One forward pass in node order (ONNX graphs are
 * topologically sorted), no recursion; a subgraph sees its outer graphs' facts. Unknown stays unknown.
 */
export interface Fact {
  rank?: number;
  type?: number;
  /** The length of a 1-D value (a shape being built for Reshape/Expand), when fixed. */
  len?: number;
}

const SAME_AS_FIRST = new Set([
  'Abs', 'Acos', 'Asin', 'Atan', 'AveragePool', 'BatchNormalization', 'Ceil', 'Celu', 'Clip', 'Concat', 'Conv',
  'ConvTranspose', 'Cos', 'CumSum', 'DepthToSpace', 'Dropout', 'Elu', 'Erf', 'Exp', 'Floor', 'Gelu', 'GlobalAveragePool',
  'GlobalMaxPool', 'HardSigmoid', 'HardSwish', 'Hardmax', 'Identity', 'InstanceNormalization', 'LayerNormalization',
  'LeakyRelu', 'Log', 'LogSoftmax', 'LpNormalization', 'LRN', 'MaxPool', 'Mish', 'Neg', 'Not', 'Pad', 'Reciprocal', 'Relu',
  'Resize', 'Round', 'Selu', 'Sigmoid', 'Sign', 'Sin', 'Slice', 'Softmax', 'Softplus', 'Softsign', 'SpaceToDepth', 'Split',
  'Sqrt', 'Tan', 'Tanh', 'ThresholdedRelu', 'Tile', 'TopK', 'Transpose', 'Upsample', 'GroupNormalization',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Greater', 'Less',
  'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor', 'Where', 'PRelu', 'Mod', 'BitShift']);
const BOOL_OUT = new Set(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);
const INT64_OUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin']);

export class GraphFacts {
  private readonly facts = new Map<string, Fact>();
  private readonly constants = new Map<string, TensorProto>();

  constructor(graph: GraphProto, private readonly outer?: GraphFacts) {
    for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) this.declare(v);
    for (const t of graph.initializer ?? []) {
      const dims = tensorDims(t);
      this.facts.set(t.name ?? '', { rank: dims.length, type: t.dataType ?? undefined, len: dims.length === 1 ? dims[0] : undefined });
      this.constants.set(t.name ?? '', t);
    }
    for (const node of graph.node ?? []) this.infer(node);
  }

  get(name: string): Fact {
    return this.facts.get(name) ?? this.outer?.get(name) ?? {};
  }

  /** Values of a constant (initializer or Constant node output), undefined when computed at run time. */
  constValues(name: string): number[] | undefined {
    const t = this.constants.get(name);
    if (!t) return this.outer?.constValues(name);
    if (t.dataType === DataType.INT64 || t.dataType === DataType.INT32) return tensorToInts(t);
    return Array.from(tensorToFloat32(t));
  }

  private declare(v: ValueInfoProto): void {
    const t = v.type?.tensorType;
    if (!t) return;
    this.facts.set(v.name ?? '', { rank: t.shape ? (t.shape.dim ?? []).length : undefined, type: t.elemType || undefined });
  }

  private infer(node: NodeProto): void {
    const op = node.domain && node.domain !== 'ai.onnx' ? '' : node.opType ?? '';
    const ins = (node.input ?? []).map((i) => (i ? this.get(i) : {}));
    const first = ins[0] ?? {};
    let rank: number | undefined;
    let type = first.type;
    let len: number | undefined;
    if (op === 'Constant') {
      const value = node.attribute?.find((a) => a.name === 'value')?.t;
      if (value) {
        const dims = tensorDims(value);
        this.constants.set(node.output?.[0] ?? '', value);
        [rank, type, len] = [dims.length, value.dataType ?? undefined, dims.length === 1 ? dims[0] : undefined];
      }
    } else if (op === 'Transpose' && getInts(node, 'perm')) {
      rank = getInts(node, 'perm')!.length;
    } else if (op === 'Concat' && first.rank === 1) {
      rank = 1;
      const lens = ins.map((f) => f.len);
      if (lens.every((l) => l !== undefined)) len = (lens as number[]).reduce((a, b) => a + b, 0);
    } else if (op === 'Slice' && first.rank === 1) {
      rank = 1;
      len = sliceLength(first.len, getInts(node, 'starts') ?? this.constValues(node.input?.[1] ?? ''),
        getInts(node, 'ends') ?? this.constValues(node.input?.[2] ?? ''), node.input?.[4] ? undefined : 1);
    } else if (SAME_AS_FIRST.has(op)) {
      rank = first.rank;
      if (op === 'Identity') len = first.len;
    } else if (BROADCAST.has(op)) {
      const ranks = ins.map((f) => f.rank);
      if (ranks.every((r) => r !== undefined)) rank = Math.max(...(ranks as number[]));
      if (op === 'Where') type = ins[1]?.type;
    } else if (op === 'MatMul') {
      const [a, b] = [first.rank, ins[1]?.rank];
      if (a !== undefined && b !== undefined && a >= 2 && b >= 2) rank = Math.max(a, b);
    } else if (op === 'Gemm' || op === 'Flatten') {
      rank = 2;
    } else if (op === 'Reshape') {
      rank = ins[1]?.len ?? this.constValues(node.input?.[1] ?? '')?.length;
    } else if (op === 'Expand') {
      const target = ins[1]?.len;
      if (target !== undefined && first.rank !== undefined) rank = Math.max(target, first.rank);
    } else if (op === 'ConstantOfShape') {
      rank = first.len;
      type = node.attribute?.find((a) => a.name === 'value')?.t?.dataType ?? DataType.FLOAT;
    } else if (op === 'Squeeze' || op === 'Unsqueeze') {
      const axes = getInts(node, 'axes') ?? this.constValues(node.input?.[1] ?? '');
      if (axes && first.rank !== undefined) rank = first.rank + (op === 'Squeeze' ? -axes.length : axes.length);
      if (op === 'Unsqueeze' && rank === 1) len = 1;
    } else if (op.startsWith('Reduce') || op === 'ArgMax' || op === 'ArgMin') {
      const axes = getInts(node, 'axes') ?? this.constValues(node.input?.[1] ?? '');
      if (getInt(node, 'keepdims', 1) === 1) rank = first.rank;
      else if (op === 'ArgMax' || op === 'ArgMin') rank = first.rank === undefined ? undefined : first.rank - 1;
      else if (axes && first.rank !== undefined) rank = first.rank - axes.length;
    } else if (op === 'Gather') {
      const [d, i] = [first.rank, ins[1]?.rank];
      if (d !== undefined && i !== undefined) rank = d - 1 + i;
    } else if (op === 'Shape') {
      rank = 1;
      if (!node.attribute?.length) len = first.rank;
    } else if (op === 'Size') {
      rank = 0;
    } else if (op === 'Cast') {
      [rank, len] = [first.rank, first.len];
      type = getInt(node, 'to', 0) || undefined;
    } else {
      type = undefined;
    }
    if (BOOL_OUT.has(op)) type = DataType.BOOL;
    if (INT64_OUT.has(op)) type = DataType.INT64;
    const out = node.output?.[0];
    if (out && !this.facts.has(out)) this.facts.set(out, { rank, type, len });
    // Later outputs (Split's pieces, TopK's indices) share the first's rank.
    for (const o of (node.output ?? []).slice(1)) {
      const same = SAME_AS_FIRST.has(op);
      if (o && !this.facts.has(o)) this.facts.set(o, { rank: same ? rank : undefined, type: op === 'TopK' ? DataType.INT64 : same ? type : undefined });
    }
  }
}

/** Elements a 1-D Slice keeps (step 1), when the input length and bounds are fixed. */
function sliceLength(n: number | undefined, starts: number[] | undefined, ends: number[] | undefined, step: number | undefined): number | undefined {
  if (n === undefined || starts?.length !== 1 || ends?.length !== 1 || step !== 1) return undefined;
  const clamp = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
  return Math.max(0, clamp(ends[0]!) - clamp(starts[0]!));
}
