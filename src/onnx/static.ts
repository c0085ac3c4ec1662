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
  /**
   * Which runtime the Q/DQ form is written for. 'cpu' (default): scalar activation scales, uint8, the form
   * onnxruntime's CPU and wasm providers fuse into QLinearConv/QGemm. 'webgpu': the form onnxruntime-web's WebGPU
   * DequantizeLinear computes right (see {@link WEBGPU_QDQ}); it needs `dims`.
   */
  target?: 'cpu' | 'webgpu';
  /** Shape of each activation tensor as calibration saw it (./calibrate.ts); the 'webgpu' target's scale axes. */
  dims?: Readonly<Record<string, readonly number[]>>;
}

/**
 * onnxruntime-web 1.30.0's WebGPU DequantizeLinear (js/web/lib/wasm/jsep/webgpu/ops/quantize-linear.ts) is wrong in
 * two cases, both found by running single-op models against its wasm provider in headless Chromium:
 * - a per-tensor (scalar or [1]) scale on 8-bit data whose element count is a multiple of 4 takes the vectorized
 *   path, which reads packed word `global_idx / 4` for output vector `global_idx`: elements 4k..4k+3 all read the
 *   first vector's bytes (any Q/DQ pair on an activation, any per-tensor weight);
 * - uint8 data with a zero point subtracts in u32 (`x - zero_point`), which wraps for every code below the zero
 *   point (2^32 − 7 instead of −7): asymmetric uint8 activations and weights:uint8.
 * Per-axis scales (1-D, more than one entry) on int8 data take the scalar path with signed arithmetic and are
 * exact, whatever the zero point; int32 biases are right with or without a zero point. So the 'webgpu' target
 * writes int8 activations with their one scale and zero point repeated along an axis of more than one entry, and
 * per-tensor weights the same way. onnxruntime's CPU provider does not fuse that form (QLinearConv wants scalar
 * activation scales), so it is a target, not the default.
 */
export const WEBGPU_QDQ = { activationType: 'int8', repeatAlongAxis: true } as const;

export const STATIC_MIN_OPSET = 10;
export const PER_CHANNEL_MIN_OPSET = 13;

/**
 * Static QDQ int8 with ranges already calibrated: QuantizeLinear/DequantizeLinear pairs around the Conv/MatMul/Gemm
 * nodes `planStatic` picks, weights quantized per tensor or per output channel. Returns a new model; the input is
 * not modified.
 */
export function quantizeStatic(input: ModelProto, options: StaticQuantizeOptions): { model: ModelProto; report: QuantizeReport } {
  const model = cloneModel(input);
  const g = new GraphEditor(model);
  const opset = g.opset();
  if (opset < STATIC_MIN_OPSET) {
    throw new ShrinkmlError('UNSUPPORTED', `static quantization needs opset ${STATIC_MIN_OPSET} or later (QuantizeLinear); the model imports opset ${opset}`, {
      suggestion: 'convert the model to a newer opset with onnx.version_converter',
    });
  }
  if (options.target === 'webgpu' && opset < PER_CHANNEL_MIN_OPSET) {
    throw new ShrinkmlError('UNSUPPORTED', `static QDQ for WebGPU repeats scales along an axis, which needs opset ${PER_CHANNEL_MIN_OPSET}; the model imports opset ${opset}`, {
      suggestion: 'upgrade the opset first (the compress pipeline does: src/onnx/opset)',
    });
  }
  let perChannel = options.perChannel !== false;
  if (perChannel && opset < PER_CHANNEL_MIN_OPSET) {
    options.onWarn?.(`opset ${opset} has no per-axis DequantizeLinear; weights use one scale per tensor`);
    perChannel = false;
  }
  const webgpu = options.target === 'webgpu';
  const activationType = webgpu ? WEBGPU_QDQ.activationType : options.activationType ?? 'uint8';
  const plan = planStatic(model, { exclude: options.exclude, outputs: !webgpu });
  const report: QuantizeReport = { mode: 'static', quantized: [], skipped: plan.skipped, activations: [], calibration: options.calibration };
  const act = new Map<string, QParams & { repeat?: { axis: number; count: number } }>();
  for (const t of plan.activations) {
    const r = options.ranges[t];
    if (!r) {
      throw new ShrinkmlError('BAD_INPUT', `no calibration range for activation '${t}'`, { subject: t, suggestion: 'calibrate the same model that is quantized' });
    }
    let repeat: { axis: number; count: number } | undefined;
    if (webgpu) {
      // Batch (axis 0) varies between runs; any other axis of fixed length > 1 carries the repeated scale.
      const d = options.dims?.[t] ?? [];
      const axis = d.findIndex((n, i) => i > 0 && n > 1);
      if (axis < 0) { (report.notes ??= []).push(`activation '${t}' stays float: no axis of more than one entry to carry a WebGPU-safe scale (shape [${d.join(', ')}])`); continue; }
      repeat = { axis, count: d[axis]! };
    }
    // A clamp's pair ends at its bound (the calibrated end, or just past it): then the Q clamps exactly as the
    // Max/Min did and ./static-clamp.ts can drop the node.
    const clamp = plan.clamps[t];
    const min = clamp?.op === 'Max' && r.min >= clamp.bound ? clamp.bound : r.min;
    const max = clamp?.op === 'Min' && r.max <= clamp.bound ? clamp.bound : r.max;
    const p = affineParams({ min, max, range: qRange({ dtype: activationType }) });
    act.set(t, { ...p, repeat });
    report.activations!.push({ tensor: t, ...p, ...r });
  }
  // Outputs first (they rename tensors the inputs then find), then each node's input and weights.
  const scaleNames = new Map<string, string>();
  for (const [t, p] of act) scaleNames.set(t, insertQdq(g, t, p, activationType));
  for (const p of plan.nodes) {
    const x = act.get(p.input);
    quantizeWeightInputs(g, p, x && { ...x, scaleName: scaleNames.get(p.input)! }, perChannel, { reduceRange: options.reduceRange, webgpu });
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
function insertQdq(g: GraphEditor, t: string, p: QParams & { repeat?: { axis: number; count: number } }, activationType: 'uint8' | 'int8'): string {
  const n = p.repeat?.count ?? 1;
  const dims = p.repeat ? [n] : [];
  const scale = g.addInitializer(makeTensor({ name: g.unique(`${t}_scale`), dims, dtype: 'float32', values: new Array<number>(n).fill(p.scale) }));
  const zp = g.addInitializer(makeTensor({ name: g.unique(`${t}_zero_point`), dims, dtype: activationType, values: new Array<number>(n).fill(p.zeroPoint) }));
  const quantized = g.unique(`${t}_quantized`);
  const producer = g.producer(t);
  const axis = p.repeat ? [attr.int('axis', p.repeat.axis)] : [];
  const nodes = (source: string, target: string): NodeProto[] => [
    node('QuantizeLinear', [source, scale, zp], [quantized], g.unique(`${t}_QuantizeLinear`), axis),
    node('DequantizeLinear', [quantized, scale, zp], [target], g.unique(`${t}_DequantizeLinear`), axis),
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
  return scale;
}

function quantizeWeightInputs(g: GraphEditor, p: PlannedNode, x: (QParams & { scaleName: string }) | undefined, perChannel: boolean, o: { reduceRange?: boolean; webgpu: boolean }): void {
  const dims = tensorDims(p.weight.tensor);
  const { q, scales } = quantizeWeights(tensorToFloat32(p.weight.tensor), dims, { axis: perChannel ? p.axis : undefined, range: weightRange(o.reduceRange) });
  // WebGPU: a one-entry scale is repeated along an axis of more than one entry (see WEBGPU_QDQ).
  const wide = o.webgpu && scales.length === 1 ? dims.findIndex((d) => d > 1) : -1;
  const [axis, stored] = wide >= 0 ? [wide, new Float32Array(dims[wide]!).fill(scales[0]!)] : [perChannel ? p.axis : undefined, scales];
  const channelDims = axis === undefined ? [] : [stored.length];
  const base = p.weight.name;
  const wq = g.addInitializer(makeTensor({ name: g.unique(`${base}_int8`), dims, dtype: 'int8', values: q }));
  const ws = g.addInitializer(makeTensor({ name: g.unique(`${base}_scale`), dims: channelDims, dtype: 'float32', values: stored }));
  // Symmetric: the zero point is 0, which an absent input means (of x's type, int8), a byte per channel less.
  // onnxruntime 1.30.0 still fuses a Conv without it into QLinearConv, but not a Gemm/MatMul into QGemm
  // (test/onnx/static-fusion.test.ts); WebGPU keeps it explicit, the form its DequantizeLinear was checked with.
  const wzp = o.webgpu || p.node.opType !== 'Conv' ? [g.addInitializer(makeTensor({ name: g.unique(`${base}_zero_point`), dims: channelDims, dtype: 'int8', values: new Int32Array(stored.length) }))] : [];
  const axisAttr = axis === undefined ? [] : [attr.int('axis', axis)];
  const wdq = g.unique(`${base}_dequantized`);
  const dqs: NodeProto[] = [node('DequantizeLinear', [wq, ws, ...wzp], [wdq], g.unique(`${base}_DequantizeLinear`), axisAttr)];
  const inputs = [...p.node.input!];
  inputs[1] = wdq;
  // A float activation (the WebGPU target found no axis for its scale) leaves the bias float: its int32 scale is s_x · s_w.
  if (p.bias && x) {
    // Bias scale s_x · s_w[c]: the int32 accumulator's own scale, so the bias adds in without rescaling.
    const bScales = Float32Array.from(scales, (s) => Math.fround(x.scale * s));
    const values = tensorToFloat32(p.bias.tensor);
    const int32 = { qmin: -(2 ** 31), qmax: 2 ** 31 - 1 };
    const bq = Int32Array.from(values, (v, i) => quantizeValue(v, { scale: bScales[perChannel ? i : 0]!, zeroPoint: 0 }, int32));
    const bname = p.bias.name;
    const bqName = g.addInitializer(makeTensor({ name: g.unique(`${bname}_int32`), dims: [values.length], dtype: 'int32', values: bq }));
    // The bias scale s_x · s_w is computed from the two scales the file already holds (a Mul onnxruntime folds at
    // load, before its QDQ fusion) instead of stored: in a small depthwise net the stored copy was a tenth of the
    // bytes. Float32 Mul gives exactly the Math.fround product the int32 values were rounded with. The WebGPU
    // target's activation scale is repeated along a tensor axis, not the channel axis, so it stores the scale.
    const bsName = g.unique(`${bname}_scale`);
    if (o.webgpu) g.addInitializer(makeTensor({ name: bsName, dims: channelDims, dtype: 'float32', values: perChannel ? bScales : [bScales[0]!] }));
    else dqs.push(node('Mul', [x.scaleName, ws], [bsName], g.unique(`${bname}_scale_Mul`)));
    // No zero point input: it defaults to 0, and a smaller file.
    const bdq = g.unique(`${bname}_dequantized`);
    dqs.push(node('DequantizeLinear', [bqName, bsName], [bdq], g.unique(`${bname}_DequantizeLinear`), perChannel ? [attr.int('axis', 0)] : []));
    inputs[2] = bdq;
  }
  p.node.input = inputs;
  const at = g.graph.node!.indexOf(p.node);
  g.graph.node!.splice(at, 0, ...dqs);
}

