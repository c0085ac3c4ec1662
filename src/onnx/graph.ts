import { ShrinkmlError } from '../core/errors.js';
import { onnx, toNumber, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../formats/onnx/proto.js';
import { forEachGraph } from '../formats/onnx/walk.js';

/**
 * Editing helpers for the main graph of a model. Compression rewrites only the main graph; subgraphs (If/Loop
 * bodies) are carried through untouched, but the names they read from the outer scope count as uses, so a weight
 * a subgraph reads is never removed or replaced under it.
 */
export interface Weight {
  name: string;
  tensor: TensorProto;
  /** Where it lives: a graph initializer, or the `value` of a Constant node (many exporters do this). */
  source: 'initializer' | 'constant';
  node?: NodeProto;
}

export class GraphEditor {
  readonly graph: GraphProto;
  private readonly names = new Set<string>();
  private outerUses = new Set<string>();

  constructor(readonly model: ModelProto) {
    if (!model.graph) throw new ShrinkmlError('BAD_INPUT', 'model has no graph');
    this.graph = model.graph;
    this.graph.node ??= [];
    this.graph.initializer ??= [];
    this.refresh();
  }

  /** Recomputes the name set and subgraph uses (after outside edits). */
  refresh(): void {
    this.names.clear();
    this.outerUses = new Set();
    const g = this.graph;
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) this.names.add(v.name ?? '');
    for (const t of g.initializer ?? []) this.names.add(t.name ?? '');
    for (const n of g.node ?? []) {
      for (const o of n.output ?? []) this.names.add(o);
      if (n.name) this.names.add(n.name);
    }
    forEachGraph(g, (sub, path) => {
      if (sub === g) return;
      for (const n of sub.node ?? []) for (const i of n.input ?? []) this.outerUses.add(i);
      void path;
    });
  }

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** The constant weight behind a tensor name, or undefined when it is computed at run time (or a graph input). */
  weight(name: string): Weight | undefined {
    const g = this.graph;
    // An initializer that is also a graph input is only a default a caller may override: not a constant.
    if ((g.input ?? []).some((v) => v.name === name)) return undefined;
    const init = g.initializer!.find((t) => t.name === name);
    if (init) return { name, tensor: init, source: 'initializer' };
    const node = g.node!.find((n) => n.opType === 'Constant' && (!n.domain || n.domain === 'ai.onnx') && n.output?.[0] === name);
    const value = node?.attribute?.find((a) => a.name === 'value')?.t;
    return value ? { name, tensor: value, source: 'constant', node } : undefined;
  }

  /** Nodes of the main graph that read `name`. */
  consumers(name: string): NodeProto[] {
    return this.graph.node!.filter((n) => (n.input ?? []).includes(name));
  }

  /** Uses of `name` anywhere: main-graph nodes, subgraphs, graph outputs. */
  useCount(name: string): number {
    return this.consumers(name).length + (this.outerUses.has(name) ? 1 : 0) + ((this.graph.output ?? []).some((o) => o.name === name) ? 1 : 0);
  }

  producer(name: string): NodeProto | undefined {
    return this.graph.node!.find((n) => (n.output ?? []).includes(name));
  }

  addInitializer(t: TensorProto): string {
    // IR 3 wanted every initializer listed as a graph input; IR 4 reads the same graph without that rule.
    if (toNumber(this.model.irVersion) < 4) this.model.irVersion = 4;
    this.graph.initializer!.push(t);
    this.names.add(t.name ?? '');
    return t.name ?? '';
  }

  /** Replaces `node` by `nodes` at its position, keeping the list topologically sorted. */
  replace(node: NodeProto, nodes: NodeProto[]): void {
    const at = this.graph.node!.indexOf(node);
    if (at < 0) throw new ShrinkmlError('INTERNAL', `node '${node.name}' is not in the main graph`);
    this.graph.node!.splice(at, 1, ...nodes);
    for (const n of nodes) { for (const o of n.output ?? []) this.names.add(o); if (n.name) this.names.add(n.name); }
  }

  /** Inserts `nodes` right after the node producing `name` (at the top for graph inputs and initializers). */
  insertAfterProducer(name: string, nodes: NodeProto[]): void {
    const producer = this.producer(name);
    const at = producer ? this.graph.node!.indexOf(producer) + 1 : 0;
    this.graph.node!.splice(at, 0, ...nodes);
    for (const n of nodes) { for (const o of n.output ?? []) this.names.add(o); if (n.name) this.names.add(n.name); }
  }

  /** Drops initializers and Constant nodes nothing reads any more. */
  removeUnusedWeights(): void {
    const g = this.graph;
    const used = new Set<string>([...this.outerUses, ...(g.output ?? []).map((o) => o.name ?? '')]);
    for (const n of g.node!) for (const i of n.input ?? []) used.add(i);
    g.initializer = g.initializer!.filter((t) => used.has(t.name ?? ''));
    g.node = g.node!.filter((n) => n.opType !== 'Constant' || (n.output ?? []).some((o) => used.has(o)));
    // value_info entries of removed tensors would only mislead readers.
    const present = new Set<string>([...g.node.flatMap((n) => n.output ?? []), ...g.initializer.map((t) => t.name ?? '')]);
    g.valueInfo = (g.valueInfo ?? []).filter((v) => present.has(v.name ?? ''));
  }

  /** The default-domain opset the model imports. */
  opset(): number {
    const entry = (this.model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    return toNumber(entry?.version);
  }
}

/** A deep copy, so compression never edits the caller's model in place. */
export function cloneModel(model: ModelProto): ModelProto {
  return onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
}

export function node(opType: string, inputs: string[], outputs: string[], name: string, attribute: NodeProto['attribute'] = []): NodeProto {
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, name, attribute: attribute ?? [] });
}
