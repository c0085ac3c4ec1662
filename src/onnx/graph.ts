import { ShrinkmlError } from '../core/errors.js';
import { onnx, toNumber, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../formats/onnx/proto.js';
import { forEachGraph } from '../formats/onnx/walk.js';

/**
 * Editing helpers for one graph of a model: the main graph, or a subgraph (If branch, Loop/Scan body) reached through
 * `graphEditors`, whose editors share one name set (names are unique across scopes) and look weights up through
 * their parents (a branch may read an initializer of the main graph). Names a nested subgraph reads from this scope
 * count as uses, so a weight a subgraph reads is never removed under it.
 */
export interface Weight {
  name: string;
  tensor: TensorProto;
  /** Where it lives: a graph initializer, or the `value` of a Constant node (many exporters do this). */
  source: 'initializer' | 'constant';
  node?: NodeProto;
  /** Set when the weight lives in an enclosing graph: read it, but never remove or rewrite it from here. */
  outer?: boolean;
}

export class GraphEditor {
  readonly graph: GraphProto;
  private readonly names: Set<string>;
  private outerUses = new Set<string>();
  /** Tensors a pass made from a constant of this scope, by kind and name (see constants.ts sharedInitializers). */
  readonly made = new Map<string, string[]>();

  /** `graph` defaults to the main graph; a subgraph's editor takes the editor of the graph that holds it. */
  constructor(readonly model: ModelProto, graph?: GraphProto, readonly parent?: GraphEditor) {
    if (!model.graph) throw new ShrinkmlError('BAD_INPUT', 'model has no graph');
    this.graph = graph ?? model.graph;
    this.graph.node ??= [];
    this.graph.initializer ??= [];
    this.names = parent ? parent.names : new Set<string>();
    this.refresh();
  }

  /** Recomputes the name set and subgraph uses (after outside edits). */
  refresh(): void {
    if (!this.parent) {
      this.names.clear();
      forEachGraph(this.model.graph!, (g) => {
        for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) this.names.add(v.name ?? '');
        for (const t of g.initializer ?? []) this.names.add(t.name ?? '');
        for (const n of g.node ?? []) {
          for (const o of n.output ?? []) this.names.add(o);
          if (n.name) this.names.add(n.name);
        }
      });
    }
    this.outerUses = new Set();
    const g = this.graph;
    forEachGraph(g, (sub) => {
      if (sub === g) return;
      for (const n of sub.node ?? []) for (const i of n.input ?? []) this.outerUses.add(i);
      for (const o of sub.output ?? []) this.outerUses.add(o.name ?? '');
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
    if (value) return { name, tensor: value, source: 'constant', node };
    if (node || !this.parent || this.producer(name)) return undefined;
    const outer = this.parent.weight(name);
    return outer && { ...outer, outer: true };
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

  /**
   * Drops initializers and Constant nodes nothing reads any more; with `deadNodes`, also nodes none of whose outputs
   * is read (what fed a rewritten weight, like the Unsqueeze of an LSTM weight), until nothing changes.
   */
  removeUnusedWeights(options: { deadNodes?: boolean } = {}): void {
    const g = this.graph;
    let used: Set<string>;
    for (let before = -1; before !== g.node!.length + g.initializer!.length;) {
      before = g.node!.length + g.initializer!.length;
      used = new Set<string>([...this.outerUses, ...(g.output ?? []).map((o) => o.name ?? '')]);
      for (const n of g.node!) for (const i of n.input ?? []) used.add(i);
      g.initializer = g.initializer!.filter((t) => used.has(t.name ?? ''));
      const keep = (n: NodeProto) => (n.opType !== 'Constant' && !options.deadNodes) || (n.output ?? []).some((o) => o && used.has(o));
      g.node = g.node!.filter(keep);
    }
    // value_info entries of removed tensors would only mislead readers.
    const present = new Set<string>([...g.node!.flatMap((n) => n.output ?? []), ...g.initializer!.map((t) => t.name ?? '')]);
    g.valueInfo = (g.valueInfo ?? []).filter((v) => present.has(v.name ?? ''));
  }

  /** Where messages say this graph is: 'main graph' or the subgraph's name. */
  where(): string {
    return this.parent ? `subgraph '${this.graph.name ?? ''}'` : 'main graph';
  }

  /** The default-domain opset the model imports. */
  opset(): number {
    const entry = (this.model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    return toNumber(entry?.version);
  }
}

/**
 * An editor for every graph of the model, the main graph first, each subgraph after the graph holding it; their
 * name sets are shared. Run a pass over all of them, then `finish` to drop what no graph reads any more.
 */
export function graphEditors(model: ModelProto): GraphEditor[] {
  const root = new GraphEditor(model);
  const editors = [root];
  const visit = (parent: GraphEditor) => {
    for (const n of parent.graph.node ?? []) {
      for (const a of n.attribute ?? []) {
        for (const sub of [a.g, ...(a.graphs ?? [])]) {
          if (!sub) continue;
          const e = new GraphEditor(model, sub, parent);
          editors.push(e);
          visit(e);
        }
      }
    }
  };
  visit(root);
  return editors;
}

/** After editing every graph: recompute uses, innermost graphs first, and drop weights nothing reads. */
export function finishEditors(editors: readonly GraphEditor[]): void {
  for (const e of [...editors].reverse()) { e.refresh(); e.removeUnusedWeights({ deadNodes: true }); }
}

/** A deep copy, so compression never edits the caller's model in place. */
export function cloneModel(model: ModelProto): ModelProto {
  return onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
}

export function node(opType: string, inputs: string[], outputs: string[], name: string, attribute: NodeProto['attribute'] = []): NodeProto {
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, name, attribute: attribute ?? [] });
}

/** Adds an opset import for a domain the rewritten model now uses (com.microsoft kernels), once. */
export function importDomain(model: ModelProto, domain: string, version: number): void {
  model.opsetImport ??= [];
  if (!model.opsetImport.some((o) => o.domain === domain)) model.opsetImport.push({ domain, version });
}
