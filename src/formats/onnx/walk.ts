import type { GraphProto, NodeProto, TensorProto } from './proto.js';

/**
 * Visits a graph and every subgraph held in node attributes (If branches, Loop/Scan bodies), depth first.
 * `path` names where a graph sits, e.g. `main > If 'cond1'.then_branch`, for messages.
 */
export function forEachGraph(graph: GraphProto, visit: (g: GraphProto, path: string) => void, path = 'main'): void {
  visit(graph, path);
  for (const node of graph.node ?? []) {
    for (const attr of node.attribute ?? []) {
      const where = `${path} > ${node.opType} '${node.name ?? ''}'.${attr.name}`;
      if (attr.g) forEachGraph(attr.g, visit, where);
      (attr.graphs ?? []).forEach((g, i) => forEachGraph(g, visit, `${where}[${i}]`));
    }
  }
}

export interface TensorSite {
  tensor: TensorProto;
  /** 'initializer', 'constant' (a Constant node's value) or 'attribute' (any other tensor-valued attribute). */
  kind: 'initializer' | 'constant' | 'attribute' | 'sparse';
  /** Human-readable location for messages. */
  where: string;
  node?: NodeProto;
}

/** Every dense tensor stored in the model: initializers, Constant values and tensor attributes, in every graph. */
export function forEachTensor(graph: GraphProto, visit: (site: TensorSite) => void): void {
  forEachGraph(graph, (g, path) => {
    for (const t of g.initializer ?? []) visit({ tensor: t, kind: 'initializer', where: `${path}: initializer '${t.name}'` });
    for (const s of g.sparseInitializer ?? []) {
      if (s.values) visit({ tensor: s.values, kind: 'sparse', where: `${path}: sparse initializer '${s.values.name}' values` });
      if (s.indices) visit({ tensor: s.indices, kind: 'sparse', where: `${path}: sparse initializer '${s.values?.name}' indices` });
    }
    for (const node of g.node ?? []) {
      for (const attr of node.attribute ?? []) {
        const where = `${path}: ${node.opType} '${node.name ?? ''}' attribute ${attr.name}`;
        const kind = node.opType === 'Constant' && !node.domain ? 'constant' : 'attribute';
        if (attr.t) visit({ tensor: attr.t, kind, where, node });
        (attr.tensors ?? []).forEach((t, i) => visit({ tensor: t, kind, where: `${where}[${i}]`, node }));
        for (const s of [attr.sparseTensor, ...(attr.sparseTensors ?? [])]) {
          if (s?.values) visit({ tensor: s.values, kind: 'sparse', where: `${where} (sparse values)`, node });
          if (s?.indices) visit({ tensor: s.indices, kind: 'sparse', where: `${where} (sparse indices)`, node });
        }
      }
    }
  });
}
