import { ShrinkmlError } from '../../core/errors.js';

/** A GraphDef node as tensorflowjs_converter writes it into model.json. */
export interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, any>;
  device?: string;
}

/**
 * What a weight constant is to the ops that read it, which fixes how it may be quantized:
 * - `conv` (Conv2D/Conv3D filters, MatMul right operands): one output channel axis, the reduction over the rest;
 * - `depthwise` (DepthwiseConv2dNative filters [kh, kw, in, mult]): every (in, mult) pair is a channel, the
 *   reduction is the kh·kw taps;
 * - `embedding` (Gather params): one row per id, a row is the unit that is read;
 * - `other`: read as a value (a bias, a BatchNorm statistic, an anchor table, a shape): kept in float.
 * `channelAxes` are the axes that get their own scale; `reduceAxes` the axes blocks run along (int4), contiguous.
 */
export type RoleKind = 'conv' | 'depthwise' | 'embedding' | 'other';

export interface WeightRole {
  kind: RoleKind;
  /** The ops that read the weight, `op:node` for messages and reports. */
  readers: string[];
  channelAxes: number[];
  reduceAxes: number[];
  /** Set when the weight is a Const inside a function body (control flow v2): only its storage may change. */
  inFunction?: string;
}

/** Graph nodes of the main graph, and of each function of `library` (While/If bodies). */
export function graphNodes(topology: Record<string, any>): { main: NodeDef[]; functions: { name: string; nodes: NodeDef[] }[] } {
  const main = (topology.node ?? []) as NodeDef[];
  const functions = ((topology.library?.function ?? []) as any[]).map((f) => ({
    name: String(f.signature?.name ?? '?'), nodes: (f.nodeDef ?? []) as NodeDef[],
  }));
  return { main, functions };
}

/**
 * A string attr value as model.json stores it: base64 text (tensorflowjs_converter today) or, from older
 * converters, the bytes as a number array (USE-lite's `data_format: {s: [78, 72, 87, 67]}`).
 */
export function attrString(s: string | number[] | undefined): string | undefined {
  return s === undefined ? undefined : Array.isArray(s) ? String.fromCharCode(...s) : atob(s);
}

/** `name:1` and `^name` → `name` (output index and control-dependency marker dropped). */
export function producerOf(input: string): { name: string; control: boolean } {
  const control = input.startsWith('^');
  const bare = control ? input.slice(1) : input;
  return { name: bare.split(':')[0]!, control };
}

const FILTER_OPS = new Set(['Conv2D', '_FusedConv2D', 'Conv3D']);
const DEPTHWISE_OPS = new Set(['DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative']);
const MATMUL_OPS = new Set(['MatMul', '_FusedMatMul', 'BatchMatMul', 'BatchMatMulV2']);
const GATHER_OPS = new Set(['GatherV2', 'Gather', 'ResourceGather']);

const axes = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The role one reader gives input `index` of rank `rank`; null when that reader does not make it a kernel. */
function roleFrom(node: NodeDef, index: number, rank: number): Omit<WeightRole, 'readers'> | null {
  const flag = (key: string) => Boolean(node.attr?.[key]?.b);
  if (FILTER_OPS.has(node.op) && index === 1 && rank >= 3) {
    return { kind: 'conv', channelAxes: [rank - 1], reduceAxes: axes(0, rank - 1) };
  }
  if (DEPTHWISE_OPS.has(node.op) && index === 1 && rank === 4) return { kind: 'depthwise', channelAxes: [2, 3], reduceAxes: [0, 1] };
  if (MATMUL_OPS.has(node.op) && rank === 2) {
    // Right operand [K, N] (or [N, K] transposed): channels are N. Left operand [M, K]: rows are the channels.
    const transposed = index === 1 ? flag('transpose_b') || flag('adj_y') : flag('transpose_a') || flag('adj_x');
    if (index === 1) return transposed ? { kind: 'conv', channelAxes: [0], reduceAxes: [1] } : { kind: 'conv', channelAxes: [1], reduceAxes: [0] };
    if (index === 0) return transposed ? { kind: 'conv', channelAxes: [1], reduceAxes: [0] } : { kind: 'conv', channelAxes: [0], reduceAxes: [1] };
  }
  if (GATHER_OPS.has(node.op) && index === 0 && rank === 2) return { kind: 'embedding', channelAxes: [0], reduceAxes: [1] };
  return null;
}

/**
 * Role of every weight in `shapes`, from the nodes that read it. A weight read by several nodes is a kernel only
 * when all of them agree; a weight with no Const node of its name is refused (it is read by an op that cannot be
 * rewritten, e.g. a resource variable), naming the node.
 */
export function weightRoles(topology: Record<string, any>, shapes: Map<string, number[]>, file: string): Map<string, WeightRole> {
  const { main, functions } = graphNodes(topology);
  const owner = new Map<string, { node: NodeDef; fn?: string }>();
  for (const node of main) owner.set(node.name, { node });
  for (const f of functions) for (const node of f.nodes) if (!owner.has(node.name)) owner.set(node.name, { node, fn: f.name });
  const readers = new Map<string, { node: NodeDef; index: number }[]>();
  for (const node of [...main, ...functions.flatMap((f) => f.nodes)]) {
    (node.input ?? []).forEach((input, index) => {
      const { name, control } = producerOf(input);
      if (control) return;
      let list = readers.get(name);
      if (!list) readers.set(name, (list = []));
      list.push({ node, index });
    });
  }
  const roles = new Map<string, WeightRole>();
  for (const [name, shape] of shapes) {
    const found = owner.get(name);
    if (!found) {
      throw new ShrinkmlError('UNSUPPORTED', `${file}: weight '${name}' has no node in the graph`, {
        subject: name, suggestion: 'the manifest and modelTopology disagree; re-export the model',
      });
    }
    if (found.node.op !== 'Const') {
      throw new ShrinkmlError('UNSUPPORTED', `${file}: weight '${name}' is held by node '${name}' (op ${found.node.op}), which cannot be rewritten`, {
        subject: name, suggestion: 'freeze the graph so weights are Const nodes (tensorflowjs_converter does this for SavedModels)',
      });
    }
    const list = readers.get(name) ?? [];
    const names = list.map((r) => `${r.node.op}:${r.node.name}`);
    const candidates = list.map((r) => roleFrom(r.node, r.index, shape.length));
    const first = candidates[0];
    const agree = first && candidates.every((c) => c && c.kind === first.kind && String(c.channelAxes) === String(first.channelAxes));
    const role: WeightRole = agree ? { ...first, readers: names } : { kind: 'other', channelAxes: [], reduceAxes: [], readers: names };
    if (found.fn) role.inFunction = found.fn;
    roles.set(name, role);
  }
  return roles;
}
