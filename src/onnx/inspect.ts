import { graphInputs, graphOutputs } from '../formats/onnx/decode.js';
import { toNumber, type ModelProto } from '../formats/onnx/proto.js';
import { dataTypeName, elementCountOf, tensorDims } from '../formats/onnx/tensor.js';
import type { OnnxValueInfo } from '../formats/types.js';
import { forEachGraph, forEachTensor } from '../formats/onnx/walk.js';

/** What `shrinkml inspect model.onnx` shows: header, I/O, op counts, stored tensors by type, compression form. */
export interface OnnxSummary {
  irVersion: number;
  opsets: Record<string, number>;
  producer?: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Nodes in all graphs, subgraphs included, by op type ('domain:Op' outside the default domain). */
  ops: Record<string, number>;
  nodes: number;
  subgraphs: number;
  /** Elements stored in initializers and Constant nodes, by data type ('float', 'int8', ...). */
  elements: Record<string, number>;
  /** Bytes of stored tensor data. */
  tensorBytes: number;
  /** How the model looks compressed: INT8 dynamic or QDQ, fp16 / int8 weight-only storage, or none. */
  quantization: 'none' | 'dynamic-int8' | 'static-qdq' | 'weight-only-fp16' | 'weight-only-int8';
}

export function inspectOnnx(model: ModelProto, file = 'model'): OnnxSummary {
  const ops: Record<string, number> = {};
  let nodes = 0;
  let subgraphs = -1;
  forEachGraph(model.graph!, (g) => {
    subgraphs++;
    for (const n of g.node ?? []) {
      const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType ?? '?';
      ops[key] = (ops[key] ?? 0) + 1;
      nodes++;
    }
  });
  const elements: Record<string, number> = {};
  let tensorBytes = 0;
  forEachTensor(model.graph!, ({ tensor }) => {
    const type = dataTypeName(tensor.dataType).toLowerCase();
    elements[type] = (elements[type] ?? 0) + elementCountOf(tensorDims(tensor));
    tensorBytes += tensor.rawData?.length ?? 0;
  });
  const has = (op: string) => (ops[op] ?? 0) > 0;
  const quantization = has('DynamicQuantizeLinear') ? 'dynamic-int8'
    : has('QuantizeLinear') ? 'static-qdq'
      : has('DequantizeLinear') ? 'weight-only-int8'
        : (elements.float16 ?? 0) > (elements.float ?? 0) ? 'weight-only-fp16' : 'none';
  return {
    irVersion: toNumber(model.irVersion),
    opsets: Object.fromEntries((model.opsetImport ?? []).map((o) => [o.domain || 'ai.onnx', toNumber(o.version)])),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || undefined,
    inputs: graphInputs(model, file), outputs: graphOutputs(model, file),
    ops, nodes, subgraphs: Math.max(0, subgraphs), elements, tensorBytes, quantization,
  };
}

/** Float32 parameters held as weights (not counting int8 codes): handy for a params column. */
export function floatParams(summary: OnnxSummary): number {
  return summary.elements.float ?? 0;
}
