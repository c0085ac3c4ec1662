import type { ModelProto, NodeProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { getFloat, getInt } from './attrs.js';
import { GraphEditor, type Weight } from './graph.js';
import { floatKept } from './quant-weights.js';
import type { SkippedNode } from './report.js';

/**
 * Which nodes static QDQ quantizes and which activation tensors get a Q/DQ pair (and so need calibration ranges):
 * the float input of every Conv/MatMul/Gemm with a constant weight, and its output, taken after a lone Relu
 * consumer when there is one (a uint8 zero point at 0 is the Relu, and onnxruntime then drops the Relu node).
 */
export interface PlannedNode {
  node: NodeProto;
  name: string;
  /** The activation input (tensor name). */
  input: string;
  weight: Weight;
  /** Channel axis of the weight for per-channel scales (Conv: 0, MatMul: 1, Gemm: 1, or 0 with transB). */
  axis: number;
  /** A 1-D float bias of Conv (input 2) or Gemm (C with beta 1) that becomes int32. */
  bias?: Weight;
  /** The tensor after which the output Q/DQ goes (the node output, or the Relu after it). */
  output: string;
}

export interface StaticPlan {
  nodes: PlannedNode[];
  /** Every activation tensor that gets a Q/DQ pair, in graph order. */
  activations: string[];
  skipped: SkippedNode[];
  /**
   * Activations that are the output of a clamp by a constant (Max(x, c) or Min(x, c)): their pair's range ends at c,
   * so the QuantizeLinear after them clamps the same and ./static-clamp.ts can drop the Max/Min.
   */
  clamps: Record<string, { op: 'Max' | 'Min'; bound: number }>;
}

const OPS = new Set(['Conv', 'MatMul', 'Gemm']);

/**
 * Ops onnxruntime runs on uint8 tensors (QLinear kernels, or data movement it keeps quantized). A quantized node's
 * output gets a Q/DQ pair only when one of these reads it; an output read only by float ops (Softmax, Sigmoid, a
 * graph output) stays float, which onnxruntime fuses as an integer kernel with float output (QGemm,
 * MatMulIntegerToFloat) and which keeps the logits out of 8-bit rounding.
 */
const INTEGER_READERS = new Set(['Conv', 'MatMul', 'Gemm', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Flatten', 'Reshape',
  'Transpose', 'Relu', 'Add', 'Mul', 'Concat', 'Squeeze', 'Unsqueeze', 'Resize', 'Pad', 'Slice', 'Split', 'Identity', 'LeakyRelu', 'Sigmoid']);

/**
 * Activations onnxruntime computes on uint8 codes (QLinearLeakyRelu, QLinearSigmoid: a 256-entry table) when a Q/DQ
 * pair sits on both sides, so their output gets a pair too. Without one the Conv before them has no Q on its
 * output, and onnxruntime then runs it as a float Conv on dequantized weights: openWakeWord's embedding model
 * (Conv → LeakyRelu → Max, 19 times) ran 0.7× fp32 that way. A graph output stays float (the logits rule above).
 */
const TABLE_ACTIVATIONS = new Set(['LeakyRelu', 'Sigmoid']);

/**
 * Which nodes static QDQ quantizes and which activation tensors it needs ranges for (what calibration observes).
 * `outputs: false` plans only the quantized nodes' inputs: the output pairs exist for onnxruntime's CPU fusion, and
 * with per-axis activation scales (the WebGPU target) its optimizer would fuse DQ → Add → Q into a QLinearAdd that
 * then fails its own type check ("Scale and Zero-point must be a scalar").
 */
export function planStatic(model: ModelProto, options: { exclude?: readonly string[]; outputs?: boolean } = {}): StaticPlan {
  const g = new GraphEditor(model);
  const kept = floatKept(model);
  const plan: StaticPlan = { nodes: [], activations: [], skipped: [], clamps: {} };
  const seen = new Set<string>();
  const graphOutputs = new Set((g.graph.output ?? []).map((o) => o.name));
  const addActivation = (t: string) => { if (!seen.has(t)) { seen.add(t); plan.activations.push(t); } };
  for (const n of g.graph.node!) {
    if (!OPS.has(n.opType ?? '') || (n.domain && n.domain !== 'ai.onnx')) continue;
    const name = n.name || n.output?.[0] || n.opType!;
    const skip = (reason: string) => plan.skipped.push({ node: name, op: n.opType!, reason });
    if (options.exclude?.includes(name)) { skip('excluded'); continue; }
    const [x, w, b] = n.input ?? [];
    if (n.opType === 'Gemm' && getInt(n, 'transA', 0) !== 0) { skip('Gemm with transA is not quantized'); continue; }
    const weight = g.weight(w ?? '');
    if (!weight) { skip('its weight input is not a constant'); continue; }
    if (weight.tensor.dataType !== DataType.FLOAT) { skip('its weight is not float32'); continue; }
    const rank = tensorDims(weight.tensor).length;
    if (n.opType !== 'Conv' && rank !== 2) { skip(`its weight has rank ${rank} (only 2-D weights are quantized)`); continue; }
    const small = kept.get(weight.name);
    if (small) { skip(small); continue; }
    if (g.weight(x ?? '')) { skip('its activation input is a constant'); continue; }
    const axis = n.opType === 'Conv' ? 0 : n.opType === 'Gemm' && getInt(n, 'transB', 0) === 1 ? 0 : 1;
    let bias: Weight | undefined;
    if (b && (n.opType === 'Conv' || getFloat(n, 'beta', 1) === 1)) {
      const bw = g.weight(b);
      const channels = tensorDims(weight.tensor)[axis];
      const bd = bw && tensorDims(bw.tensor);
      if (bw && bw.tensor.dataType === DataType.FLOAT && bd!.length === 1 && bd![0] === channels) bias = bw;
    }
    const out = n.output![0]!;
    const users = g.consumers(out);
    const relu = users.length === 1 && users[0]!.opType === 'Relu' && g.useCount(out) === 1 ? users[0]!.output![0]! : undefined;
    const clamp = clampReader(g, relu ?? out);
    const output = clamp?.output ?? relu ?? out;
    if (clamp) plan.clamps[clamp.output] = { op: clamp.op, bound: clamp.bound };
    plan.nodes.push({ node: n, name, input: x!, weight, axis, bias, output });
    addActivation(x!);
    if (options.outputs !== false && g.consumers(output).some((c) => INTEGER_READERS.has(c.opType ?? ''))) {
      addActivation(output);
      for (const c of g.consumers(output)) {
        const y = c.output?.[0];
        if (!TABLE_ACTIVATIONS.has(c.opType ?? '') || (c.domain && c.domain !== 'ai.onnx') || !y || graphOutputs.has(y)) continue;
        // openWakeWord: LeakyRelu → Max(x, -0.4) → Conv; the pair goes after the Max, which then drops.
        const after = clampReader(g, y);
        if (after) plan.clamps[after.output] = { op: after.op, bound: after.bound };
        addActivation(after?.output ?? y);
      }
    }
  }
  return plan;
}

/**
 * The lone reader of `t` when it is Max(t, c) or Min(t, c) with a one-element float constant c and no other use of
 * `t`: a clamp a QuantizeLinear after it can absorb.
 */
function clampReader(g: GraphEditor, t: string): { output: string; op: 'Max' | 'Min'; bound: number } | undefined {
  const users = g.consumers(t);
  const n = users[0];
  if (users.length !== 1 || g.useCount(t) !== 1 || !n || (n.opType !== 'Max' && n.opType !== 'Min') || (n.domain && n.domain !== 'ai.onnx') || n.input?.length !== 2) return undefined;
  const other = n.input.find((i) => i !== t);
  const w = other === undefined ? undefined : g.weight(other);
  if (!w || w.tensor.dataType !== DataType.FLOAT || tensorDims(w.tensor).reduce((a, b) => a * b, 1) !== 1) return undefined;
  const out = n.output?.[0];
  return out ? { output: out, op: n.opType, bound: tensorToFloat32(w.tensor)[0]! } : undefined;
}
