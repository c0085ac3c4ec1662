import { ShrinkmlError } from '../../core/errors.js';
import { onnx, toNumber, type GraphProto, type ModelProto, type NodeProto } from '../../formats/onnx/proto.js';
import { DataType } from '../../formats/onnx/schema.js';
import { makeTensor } from '../../formats/onnx/tensor.js';
import { cloneModel } from '../graph.js';
import { GraphFacts } from './facts.js';
import { MAX_KNOWN_OPSET, OPS, REMOVED, opVersionAt, versionOf } from './ops.js';
import type { RewriteContext } from './rewrites.js';

/** Options of upgradeOpset. */
export interface UpgradeOptions {
  /** Names the model in errors. */
  file?: string;
}

/** What upgradeOpset did: the upgraded model, the opset it went from and to, and the nodes it rewrote. */
export interface OpsetUpgrade {
  /** The upgraded model: a new object, or the input itself when it already imports `target` or later. */
  model: ModelProto;
  from: number;
  to: number;
  /** Nodes rewritten, by op and the version it was rewritten to ('Clip-11': 28; 'Upsample-10' for Upsample → Resize). */
  rewritten: Record<string, number>;
}

/** The lowest IR version that may import each opset (onnx/helper.py's VERSION_TABLE); older headers are raised. */
const MIN_IR_FOR_OPSET: [number, number][] = [[9, 4], [10, 5], [11, 6], [12, 7], [15, 8], [19, 9], [21, 10], [23, 11]];

/**
 * Upgrades the default-domain opset of a model to `target`, rewriting every node whose form changed on the way
 * (./ops.ts), in the main graph and in every subgraph. All or nothing: a node the converter cannot rewrite
 * exactly throws one UNSUPPORTED error naming it, and the input model is never edited.
 */
export function upgradeOpset(model: ModelProto, target: number, options: UpgradeOptions = {}): OpsetUpgrade {
  const file = options.file ?? 'model';
  const from = defaultOpset(model);
  if (from >= target) return { model, from, to: from, rewritten: {} };
  const fail = (what: string) => new ShrinkmlError('UNSUPPORTED', `${file}: cannot upgrade opset ${from} to ${target}: ${what}`, {
    subject: file, suggestion: `export the model at opset ${target} or later`,
  });
  if (target > MAX_KNOWN_OPSET) throw fail(`opset ${target} is newer than the ${MAX_KNOWN_OPSET} the converter knows`);
  if ((model.functions ?? []).length) throw fail('it has model-local functions, which the converter does not rewrite');
  const out = cloneModel(model);
  const names = allNames(out.graph!);
  const rewritten: Record<string, number> = {};
  const visit = (graph: GraphProto, outer?: GraphFacts) => {
    const facts = new GraphFacts(graph, outer);
    for (const node of graph.node ?? []) {
      if (!node.domain || node.domain === 'ai.onnx') upgradeNode(node, { from, target, graph, facts, names, rewritten, fail });
      for (const a of node.attribute ?? []) {
        if (a.g) visit(a.g, facts);
        for (const g of a.graphs ?? []) visit(g, facts);
      }
    }
  };
  visit(out.graph!);
  for (const o of out.opsetImport ?? []) if (!o.domain || o.domain === 'ai.onnx') o.version = target;
  // IR 3 wanted every initializer listed as a graph input; the rewrites add initializers that are not.
  const minIr = MIN_IR_FOR_OPSET.filter(([opset]) => opset <= target).at(-1)?.[1] ?? 4;
  if (toNumber(out.irVersion) < minIr) out.irVersion = minIr;
  return { model: out, from, to: target, rewritten };
}

export function defaultOpset(model: ModelProto): number {
  return toNumber((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
}

interface NodeUpgrade {
  from: number; target: number; graph: GraphProto; facts: GraphFacts; names: Set<string>;
  rewritten: Record<string, number>; fail: (what: string) => ShrinkmlError;
}

function upgradeNode(node: NodeProto, u: NodeUpgrade): void {
  const label = () => `${node.opType} node '${node.name || node.output?.[0] || ''}'`;
  if (!OPS[node.opType ?? '']) throw u.fail(`${label()}: ${node.opType} is not an ONNX operator the converter knows`);
  if (opVersionAt(node.opType!, u.from) === undefined) throw u.fail(`${label()}: ${node.opType} is not an opset ${u.from} operator`);
  const ctx = context(node, u, label);
  // The node's form conforms to opset `at`; each change up to the target is applied in turn. A rewrite may
  // change the op (Upsample → Resize), after which the new op's later changes apply.
  let at = u.from;
  for (;;) {
    const op = node.opType!;
    const next = OPS[op]!.find((v) => versionOf(v) > at && versionOf(v) <= u.target);
    if (next === undefined) {
      if (REMOVED[op] !== undefined && u.target >= REMOVED[op]!) throw u.fail(`${label()}: ${op} was removed at opset ${REMOVED[op]}`);
      return;
    }
    at = versionOf(next);
    if (typeof next === 'number') continue;
    const rewrite = next[1];
    if (!rewrite) throw u.fail(`${label()}: the converter has no rewrite to ${op}-${at}`);
    rewrite(node, ctx);
    const key = `${op}-${at}`;
    u.rewritten[key] = (u.rewritten[key] ?? 0) + 1;
  }
}

function context(node: NodeProto, u: NodeUpgrade, label: () => string): RewriteContext {
  return {
    constant(base, { dataType, dims, values }) {
      let name = base;
      for (let i = 1; u.names.has(name); i++) name = `${base}_${i}`;
      u.names.add(name);
      (u.graph.initializer ??= []).push(tensorOf(name, dataType, dims, values));
      return name;
    },
    rank: (name) => u.facts.get(name).rank,
    elemType: (name) => u.facts.get(name).type,
    constValues: (name) => u.facts.constValues(name),
    block(reason) {
      throw u.fail(`${label()}: ${reason}`);
    },
  };
}

function tensorOf(name: string, dataType: number, dims: number[], values: readonly number[]) {
  switch (dataType) {
    case DataType.INT64: return makeTensor({ name, dims, dtype: 'int64', values });
    case DataType.FLOAT16: return makeTensor({ name, dims, dtype: 'float16', values });
    case DataType.DOUBLE: return onnx.TensorProto.create({ name, dims, dataType, doubleData: [...values] });
    default: return makeTensor({ name, dims, dtype: 'float32', values });
  }
}

/** Every value and node name in the model, so new initializers never shadow one (subgraphs see outer names). */
function allNames(graph: GraphProto, into = new Set<string>()): Set<string> {
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) into.add(v.name ?? '');
  for (const t of graph.initializer ?? []) into.add(t.name ?? '');
  for (const n of graph.node ?? []) {
    for (const o of n.output ?? []) into.add(o);
    if (n.name) into.add(n.name);
    for (const a of n.attribute ?? []) {
      if (a.g) allNames(a.g, into);
      for (const g of a.graphs ?? []) allNames(g, into);
    }
  }
  return into;
}
