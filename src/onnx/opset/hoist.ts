import { toNumber, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../../formats/onnx/proto.js';
import { makeTensor } from '../../formats/onnx/tensor.js';

/**
 * Moves the tensors of Constant nodes into initializers, in place, in every graph (each into its own graph's
 * initializer list): old exporters (opset 9 PaddlePaddle, early PyTorch) keep every weight in a Constant node,
 * where quantization, pruning and the weight views look only at initializers. The initializer takes the
 * Constant's output name, so consumers are untouched. Kept as nodes: constants that are graph outputs (an
 * initializer is not a computed output) and sparse or string values. Returns how many were hoisted.
 */
export function hoistConstants(model: ModelProto): number {
  let hoisted = 0;
  const visit = (graph: GraphProto) => {
    const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
    const kept: NodeProto[] = [];
    for (const node of graph.node ?? []) {
      for (const a of node.attribute ?? []) {
        if (a.g) visit(a.g);
        for (const g of a.graphs ?? []) visit(g);
      }
      const out = node.output?.[0] ?? '';
      const tensor = node.opType === 'Constant' && (!node.domain || node.domain === 'ai.onnx') && !outputs.has(out) ? valueOf(node, out) : undefined;
      if (!tensor) { kept.push(node); continue; }
      (graph.initializer ??= []).push(tensor);
      hoisted++;
    }
    graph.node = kept;
  };
  visit(model.graph!);
  // IR 3 wanted every initializer listed as a graph input; IR 4 reads the same graph without that rule.
  if (hoisted && toNumber(model.irVersion) < 4) model.irVersion = 4;
  return hoisted;
}

function valueOf(node: NodeProto, name: string): TensorProto | undefined {
  const a = node.attribute?.[0];
  if (!a || (node.attribute ?? []).length !== 1) return undefined;
  switch (a.name) {
    case 'value': return a.t ? { ...a.t, name } : undefined;
    case 'value_float': return makeTensor({ name, dims: [], dtype: 'float32', values: [a.f ?? 0] });
    case 'value_floats': return makeTensor({ name, dims: [(a.floats ?? []).length], dtype: 'float32', values: a.floats ?? [] });
    case 'value_int': return makeTensor({ name, dims: [], dtype: 'int64', values: [toNumber(a.i)] });
    case 'value_ints': return makeTensor({ name, dims: [(a.ints ?? []).length], dtype: 'int64', values: (a.ints ?? []).map((i) => toNumber(i)) });
    default: return undefined;
  }
}
