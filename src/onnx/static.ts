import { ShrinkmlError } from '../core/errors.js';
import { affineParams, qRange, quantizeValue, type QParams } from '../core/numerics.js';
import type { WarnFn } from '../core/progress.js';
import type { ModelProto, NodeProto } from '../formats/onnx/proto.js';
import { makeTensor, tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import type { Range } from '../quantize/observers/types.js';
import { attr } from './attrs.js';
import { cloneModel, GraphEditor, node } from './graph.js';
import { quantizeWeights, weightRange } from './quant-weights.js';
import type { QuantizeReport } from './report.js';
import { planStatic, type PlannedNode } from './static-plan.js';

/**
 * Static INT8 in QDQ form, which onnxruntime (and onnxruntime-web) fuse into integer kernels:
 * - activations: QuantizeLinear → DequantizeLinear pairs (uint8, asymmetric) with ranges from calibration;
 * - weights: int8 initializers, symmetric, per output channel, behind DequantizeLinear(axis);
 * - biases: int32 with scale s_x · s_w and zero point 0.
 * The float ops stay in place, reading dequantized tensors, so any runtime can run the file.
 */
export interface StaticQuantizeOptions {
  /** Calibrated range of each activation tensor (see ./calibrate.ts); every planned tensor needs one. */
  ranges: Readonly<Record<string, Range>>;
  perChannel?: boolean;
  reduceRange?: boolean;
  /** Activation codes: 'uint8' (default) or 'int8'. */
  activationType?: 'uint8' | 'int8';
  exclude?: readonly string[];
  onWarn?: WarnFn;
  /** Recorded in the report. */
  calibration?: { observer: string; samples: number };
}

export const STATIC_MIN_OPSET = 10;
export const PER_CHANNEL_MIN_OPSET = 13;

export function quantizeStatic(input: ModelProto, options: StaticQuantizeOptions): { model: ModelProto; report: QuantizeReport } {
  const model = cloneModel(input);
  const g = new GraphEditor(model);
  const opset = g.opset();
  if (opset < STATIC_MIN_OPSET) {
    throw new ShrinkmlError('UNSUPPORTED', `static quantization needs opset ${STATIC_MIN_OPSET} or later (QuantizeLinear); the model imports opset ${opset}`, {
      suggestion: 'convert the model to a newer opset with onnx.version_converter',
    });
  }
  let perChannel = options.perChannel !== false;
  if (perChannel && opset < PER_CHANNEL_MIN_OPSET) {
    options.onWarn?.(`opset ${opset} has no per-axis DequantizeLinear; weights use one scale per tensor`);
    perChannel = false;
  }
  const activationType = options.activationType ?? 'uint8';
  const plan = planStatic(model, { exclude: options.exclude });
  const report: QuantizeReport = { mode: 'static', quantized: [], skipped: plan.skipped, activations: [], calibration: options.calibration };
  const act = new Map<string, QParams>();
  for (const t of plan.activations) {
    const r = options.ranges[t];
    if (!r) {
      throw new ShrinkmlError('BAD_INPUT', `no calibration range for activation '${t}'`, { subject: t, suggestion: 'calibrate the same model that is quantized' });
    }
    const p = affineParams({ min: r.min, max: r.max, range: qRange({ dtype: activationType }) });
    act.set(t, p);
    report.activations!.push({ tensor: t, ...p, ...r });
  }
  // Outputs first (they rename tensors the inputs then find), then each node's input and weights.
  for (const t of plan.activations) insertQdq(g, t, act.get(t)!, activationType);
  for (const p of plan.nodes) {
    quantizeWeightInputs(g, p, act.get(p.input)!, perChannel, options.reduceRange);
    report.quantized.push({ node: p.name, op: p.node.opType!, weight: p.weight.name, shape: tensorDims(p.weight.tensor), weightSource: p.weight.source, perChannel });
  }
  g.removeUnusedWeights();
  for (const s of plan.skipped) if (s.reason !== 'excluded') options.onWarn?.(`${s.op} '${s.node}' left float: ${s.reason}`);
  return { model, report };
}

/**
 * t → Q → DQ, keeping the name `t` for the dequantized tensor so every reader (nodes, graph outputs, subgraphs)
 * sees it; the producer's output is renamed. Graph inputs keep their name and their readers are rewired instead.
 */
function insertQdq(g: GraphEditor, t: string, p: QParams, activationType: 'uint8' | 'int8'): void {
  const scale = g.addInitializer(makeTensor({ name: g.unique(`${t}_scale`), dims: [], dtype: 'float32', values: [p.scale] }));
  const zp = g.addInitializer(makeTensor({ name: g.unique(`${t}_zero_point`), dims: [], dtype: activationType, values: [p.zeroPoint] }));
  const quantized = g.unique(`${t}_quantized`);
  const producer = g.producer(t);
  const nodes = (source: string, target: string): NodeProto[] => [
    node('QuantizeLinear', [source, scale, zp], [quantized], g.unique(`${t}_QuantizeLinear`)),
    node('DequantizeLinear', [quantized, scale, zp], [target], g.unique(`${t}_DequantizeLinear`)),
  ];
  if (producer) {
    const raw = g.unique(`${t}_float`);
    producer.output = producer.output!.map((o) => (o === t ? raw : o));
    g.insertAfterProducer(raw, nodes(raw, t));
  } else {
    const target = g.unique(`${t}_dequantized`);
    for (const n of g.graph.node!) n.input = (n.input ?? []).map((i) => (i === t ? target : i));
    g.insertAfterProducer(t, nodes(t, target));
  }
}

function quantizeWeightInputs(g: GraphEditor, p: PlannedNode, x: QParams, perChannel: boolean, reduceRange?: boolean): void {
  const dims = tensorDims(p.weight.tensor);
  const axis = perChannel ? p.axis : undefined;
  const { q, scales } = quantizeWeights(tensorToFloat32(p.weight.tensor), dims, { axis, range: weightRange(reduceRange) });
  const channelDims = perChannel ? [scales.length] : [];
  const base = p.weight.name;
  const wq = g.addInitializer(makeTensor({ name: g.unique(`${base}_int8`), dims, dtype: 'int8', values: q }));
  const ws = g.addInitializer(makeTensor({ name: g.unique(`${base}_scale`), dims: channelDims, dtype: 'float32', values: scales }));
  const wzp = g.addInitializer(makeTensor({ name: g.unique(`${base}_zero_point`), dims: channelDims, dtype: 'int8', values: new Int32Array(scales.length) }));
  const axisAttr = perChannel ? [attr.int('axis', p.axis)] : [];
  const wdq = g.unique(`${base}_dequantized`);
  const dqs: NodeProto[] = [node('DequantizeLinear', [wq, ws, wzp], [wdq], g.unique(`${base}_DequantizeLinear`), axisAttr)];
  const inputs = [...p.node.input!];
  inputs[1] = wdq;
  if (p.bias) {
    // Bias scale s_x · s_w[c]: the int32 accumulator's own scale, so the bias adds in without rescaling.
    const bScales = Float32Array.from(scales, (s) => Math.fround(x.scale * s));
    const values = tensorToFloat32(p.bias.tensor);
    const int32 = { qmin: -(2 ** 31), qmax: 2 ** 31 - 1 };
    const bq = Int32Array.from(values, (v, i) => quantizeValue(v, { scale: bScales[perChannel ? i : 0]!, zeroPoint: 0 }, int32));
    const bname = p.bias.name;
    const bqName = g.addInitializer(makeTensor({ name: g.unique(`${bname}_int32`), dims: [values.length], dtype: 'int32', values: bq }));
    const bsName = g.addInitializer(makeTensor({ name: g.unique(`${bname}_scale`), dims: channelDims, dtype: 'float32', values: perChannel ? bScales : [bScales[0]!] }));
    // No zero point input (it defaults to 0): onnxruntime-web's WebGPU DequantizeLinear mishandles an int32 one.
    const bdq = g.unique(`${bname}_dequantized`);
    dqs.push(node('DequantizeLinear', [bqName, bsName], [bdq], g.unique(`${bname}_DequantizeLinear`), perChannel ? [attr.int('axis', 0)] : []));
    inputs[2] = bdq;
  }
  p.node.input = inputs;
  const at = g.graph.node!.indexOf(p.node);
  g.graph.node!.splice(at, 0, ...dqs);
}
