import { qRange, quantizeValue, type QType } from '../core/numerics.js';
import type { ModelProto, NodeProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { elementCountOf, tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { cloneModel, GraphEditor } from './graph.js';

/**
 * Drops a Max(x, c) (or Min(x, c)) whose only reader is a QuantizeLinear that maps c to its lowest (highest) code:
 * quantization is monotone, so Q(max(x, c)) = max(Q(x), Q(c)) = Q(x) there, and the clamp is the identity after
 * the Q. onnxruntime does this itself for Relu and Clip before a Q, not for Max/Min; a clamp left between a
 * QLinear kernel's DQ and the next Q keeps both ends float (openWakeWord's embedding model: LeakyRelu → Max(x, -0.4)
 * ahead of each of its 19 Convs). Static planning (./static-plan.ts) ends those pairs' ranges at c so the codes
 * match; the bound is required to sit half a code inside the saturation, so no rounding mode can tell them apart.
 * Applied after the float fallback (./static-sensitivity.ts), whose pair removal must find the Max in place.
 */
export function absorbClamps(input: ModelProto): { model: ModelProto; absorbed: string[] } {
  const model = cloneModel(input);
  const g = new GraphEditor(model);
  const absorbed: string[] = [];
  for (const n of [...g.graph.node!]) {
    if ((n.opType !== 'Max' && n.opType !== 'Min') || (n.domain && n.domain !== 'ai.onnx') || n.input?.length !== 2) continue;
    const out = n.output?.[0];
    const q = out === undefined ? undefined : g.consumers(out);
    if (!out || q?.length !== 1 || g.useCount(out) !== 1 || q[0]!.opType !== 'QuantizeLinear' || (q[0]!.domain && q[0]!.domain !== 'ai.onnx')) continue;
    const bound = constantIndex(g, n);
    if (!bound) continue;
    if (!saturates(g, q[0]!, bound.value, n.opType === 'Max' ? 'low' : 'high')) continue;
    q[0]!.input = q[0]!.input!.map((i) => (i === out ? n.input![1 - bound.index]! : i));
    g.graph.node!.splice(g.graph.node!.indexOf(n), 1);
    absorbed.push(n.name || out);
  }
  g.removeUnusedWeights();
  return { model: absorbed.length ? model : input, absorbed };
}

function constantIndex(g: GraphEditor, n: NodeProto): { index: number; value: number } | undefined {
  for (const index of [0, 1]) {
    const w = g.weight(n.input![index]!);
    if (w && w.tensor.dataType === DataType.FLOAT && elementCountOf(tensorDims(w.tensor)) === 1 && !g.weight(n.input![1 - index]!)) {
      return { index, value: tensorToFloat32(w.tensor)[0]! };
    }
  }
  return undefined;
}

/** Whether the Q (scalar scale and zero point) sends `c` half a code or more past its lowest ('low') or highest code. */
function saturates(g: GraphEditor, q: NodeProto, c: number, end: 'low' | 'high'): boolean {
  const [, s, z] = q.input ?? [];
  const scale = s ? g.weight(s) : undefined;
  const zp = z ? g.weight(z) : undefined;
  if (!scale || elementCountOf(tensorDims(scale.tensor)) !== 1 || (z && (!zp || elementCountOf(tensorDims(zp.tensor)) !== 1))) return false;
  if (q.attribute?.some((a) => a.name === 'axis' || a.name === 'saturate' || a.name === 'block_size')) return false;
  const dtype: QType | undefined = !zp || zp.tensor.dataType === DataType.UINT8 ? 'uint8' : zp.tensor.dataType === DataType.INT8 ? 'int8' : undefined;
  if (!dtype) return false;
  const p = { scale: tensorToFloat32(scale.tensor)[0]!, zeroPoint: zp ? tensorToFloat32(zp.tensor)[0]! : 0 };
  const r = qRange({ dtype });
  const code = c / p.scale + p.zeroPoint;
  return end === 'low' ? code <= r.qmin + 0.49 && quantizeValue(c, p, r) === r.qmin : code >= r.qmax - 0.49 && quantizeValue(c, p, r) === r.qmax;
}
