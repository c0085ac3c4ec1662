import { ShrinkmlError } from '../../core/errors.js';
import type { GraphProto, ModelProto, NodeProto } from '../../formats/onnx/proto.js';
import { MAX_KNOWN_OPSET, OPS, REMOVED, opVersionAt, versionOf } from './ops.js';
import { defaultOpset } from './upgrade.js';

/**
 * The graph-level checks onnxruntime makes when it loads a model, made before anything runs it: default-domain
 * ops known at the model's opset (./ops.ts, the table the opset upgrade uses), an opset some ONNX release
 * defines, every value produced once, every input defined, no cycles. Other domains (com.microsoft, custom)
 * are the runtime's business and are not judged here.
 */
export function graphProblems(model: ModelProto): string[] {
  const problems: string[] = [];
  const opset = defaultOpset(model);
  if (opset > MAX_KNOWN_OPSET) problems.push(`it imports ai.onnx opset ${opset}; the newest ONNX opset is ${MAX_KNOWN_OPSET}`);
  const visit = (graph: GraphProto, where: string, outer: ReadonlySet<string>) => {
    const defined = new Set<string>([...outer, '']);
    const producers = new Map<string, string>();
    for (const v of graph.input ?? []) defined.add(v.name ?? '');
    for (const t of graph.initializer ?? []) defined.add(t.name ?? '');
    for (const s of graph.sparseInitializer ?? []) defined.add(s.values?.name ?? '');
    const label = (n: NodeProto) => `${where}${n.opType} node '${n.name || n.output?.[0] || ''}'`;
    for (const node of graph.node ?? []) {
      if ((!node.domain || node.domain === 'ai.onnx') && opset <= MAX_KNOWN_OPSET) {
        const problem = opProblem(node.opType ?? '', opset);
        if (problem) problems.push(`${label(node)}: ${problem}`);
      }
      for (const o of node.output ?? []) {
        if (!o) continue;
        if (producers.has(o)) problems.push(`${label(node)}: output '${o}' is also produced by node '${producers.get(o)}'`);
        else if (defined.has(o) && !outer.has(o)) problems.push(`${label(node)}: output '${o}' is also a graph input or initializer`);
        producers.set(o, node.name || o);
      }
    }
    const cycle = cycleIn(graph, defined);
    if (cycle) problems.push(`${where}the nodes form a cycle through node '${cycle}'`);
    for (const node of graph.node ?? []) {
      for (const i of node.input ?? []) {
        if (!defined.has(i) && !producers.has(i)) problems.push(`${label(node)}: input '${i}' is not produced by any node, input or initializer`);
      }
      const inner = new Set([...defined, ...producers.keys()]);
      for (const a of node.attribute ?? []) {
        const sub = `${where}${node.opType} '${node.name ?? ''}'.${a.name} > `;
        if (a.g) visit(a.g, sub, inner);
        (a.graphs ?? []).forEach((g, i) => visit(g, `${sub.slice(0, -3)}[${i}] > `, inner));
      }
    }
  };
  if (model.graph) visit(model.graph, '', new Set());
  return problems;
}

/** Throws one BAD_INPUT line naming the first problem (and how many more) when onnxruntime would refuse the graph. */
export function assertValidGraph(model: ModelProto, file: string): void {
  const problems = graphProblems(model);
  if (!problems.length) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  throw new ShrinkmlError('BAD_INPUT', `${file}: invalid ONNX graph: ${problems[0]}${more}`, { subject: file });
}

function opProblem(op: string, opset: number): string | undefined {
  const versions = OPS[op];
  if (!versions) return `${op} is not an ONNX operator`;
  if (opVersionAt(op, opset) !== undefined) return undefined;
  const first = versionOf(versions[0]!);
  if (first > opset) return `${op} needs opset ${first} or later; the model imports opset ${opset}`;
  return `${op} was removed at opset ${REMOVED[op]}; the model imports opset ${opset}`;
}

/** A node on a cycle (Kahn's algorithm over the graph's own edges), or undefined when the graph is acyclic. */
function cycleIn(graph: GraphProto, defined: ReadonlySet<string>): string | undefined {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => { if (o && !defined.has(o) && !producer.has(o)) producer.set(o, i); }));
  const pending = nodes.map((n) => new Set((n.input ?? []).map((i) => producer.get(i)).filter((p): p is number => p !== undefined)).size);
  const consumers = nodes.map(() => [] as number[]);
  nodes.forEach((n, i) => new Set((n.input ?? []).map((x) => producer.get(x)).filter((p): p is number => p !== undefined)).forEach((p) => consumers[p]!.push(i)));
  const ready = pending.flatMap((c, i) => (c === 0 ? [i] : []));
  let done = 0;
  while (ready.length) {
    const i = ready.pop()!;
    done++;
    for (const c of consumers[i]!) if (--pending[c]! === 0) ready.push(c);
  }
  if (done === nodes.length) return undefined;
  const stuck = pending.findIndex((c) => c > 0);
  return nodes[stuck]?.name || nodes[stuck]?.output?.[0] || String(stuck);
}
