import { ShrinkmlError } from '../core/errors.js';
import type { WarnFn } from '../core/progress.js';
import type { ModelProto, NodeProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { makeTensor, tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { attr, getFloat, getInt } from './attrs.js';
import { floatConstant } from './constants.js';
import { dequantizeWeightInput, quantizeConv, type DynamicConvForm } from './dynamic-conv.js';
import { quantizeLstm } from './dynamic-lstm.js';
import { cloneModel, finishEditors, GraphEditor, graphEditors, importDomain, node } from './graph.js';
import { floatKept, quantizeWeights, transpose2d, weightRange } from './quant-weights.js';
import type { QuantizeReport } from './report.js';

/**
 * Dynamic INT8, in every graph of the model (If branches and Loop bodies included):
 * - MatMul/Gemm, in the pattern onnxruntime fuses into its integer GEMM:
 *   DynamicQuantizeLinear(x) → MatMulInteger(x_u8, W_s8, x_zp) → Cast(float) → Mul(x_scale · w_scale) [→ Add(bias)]
 *   uint8 activations quantized per batch at run time, int8 weights per output column;
 * - Conv, one of two forms (see `conv`), because onnxruntime's CPU ConvInteger runs only uint8 × uint8 with scalar
 *   zero points (in 1.30.0, the lowest version this package supports; int8 weights and per-channel zero points are
 *   rejected): './dynamic-conv.ts';
 * - LSTM → com.microsoft DynamicQuantizeLSTM (int8 weights per gate column); GRU/RNN have no integer kernel in
 *   onnxruntime and stay float with a note.
 */
export interface DynamicQuantizeOptions {
  /** Node names to leave float. */
  exclude?: readonly string[];
  /**
   * MatMul/Gemm nodes computed in float on int8 weights (DequantizeLinear on the weight, per output column from
   * opset 13) instead of on dynamically quantized activations: for a recurrent model's Gemm, the activation rounding
   * is fed back through the state every step and accumulates (Silero VAD's PyTorch 2 export runs its LSTM as two
   * Gemm). The weight fallback (./weight-sensitivity.ts) picks them by measured output error.
   */
  weightOnly?: readonly string[];
  /** Conv 'weights' form: node name → the weight axis its int8 scales run along (see WeightOnlyOptions.axes). */
  axes?: Readonly<Record<string, number>>;
  /** One scale per output column (default) or one per tensor. */
  perChannel?: boolean;
  /** 7-bit weights, for x86 CPUs without VNNI where u8×s8 products can saturate. */
  reduceRange?: boolean;
  /**
   * Conv: 'weights' (default) stores int8 weights per output channel behind DequantizeLinear and computes in float;
   * 'integer' runs ConvInteger on uint8 activations and uint8 symmetric weights (zero point 128), per-channel scales
   * applied by a Mul after it; 'float' leaves Conv alone. Same size either way (bench/onnx-int8.ts times both).
   */
  conv?: DynamicConvForm;
  onWarn?: WarnFn;
}

export type { DynamicConvForm };

export const DYNAMIC_MIN_OPSET = 11;

/** Why GRU/RNN stay float under dynamic INT8. */
export const RECURRENT_NOTE = 'onnxruntime has an integer kernel for LSTM only (com.microsoft DynamicQuantizeLSTM); GRU and RNN stay float (weights:int8 stores their weights in 8 bits)';

export function quantizeDynamic(input: ModelProto, options: DynamicQuantizeOptions = {}): { model: ModelProto; report: QuantizeReport } {
  const model = cloneModel(input);
  const editors = graphEditors(model);
  const opset = editors[0]!.opset();
  const keep = floatKept(model);
  if (opset < DYNAMIC_MIN_OPSET) {
    throw new ShrinkmlError('UNSUPPORTED', `dynamic quantization needs opset ${DYNAMIC_MIN_OPSET} or later (DynamicQuantizeLinear); the model imports opset ${opset}`, {
      suggestion: 'convert the model to a newer opset with onnx.version_converter',
    });
  }
  const report: QuantizeReport = { mode: 'dynamic', quantized: [], skipped: [] };
  const convForm = options.conv ?? 'weights';
  let microsoft = false;
  for (const g of editors) {
    const quantizedInputs = new Map<string, [string, string, string]>();
    for (const n of [...g.graph.node!]) {
      if (n.domain && n.domain !== 'ai.onnx') continue;
      const name = n.name || n.output?.[0] || n.opType!;
      const op = n.opType!;
      if (!['MatMul', 'Gemm', 'Conv', 'LSTM', 'GRU', 'RNN'].includes(op)) continue;
      if (options.exclude?.includes(name)) { report.skipped.push({ node: name, op, reason: 'excluded' }); continue; }
      if (op === 'GRU' || op === 'RNN') { report.skipped.push({ node: name, op, reason: `left float: ${RECURRENT_NOTE}` }); continue; }
      if (op === 'Conv' && convForm === 'float') { report.skipped.push({ node: name, op, reason: 'left float (conv: float)' }); continue; }
      const reason = op === 'Conv' ? quantizeConv(g, n, name, { form: convForm as 'weights' | 'integer', perChannel: options.perChannel !== false && opset >= 13 || convForm === 'integer', reduceRange: options.reduceRange, keep, axis: options.axes?.[name] }, quantizedInputs, report)
        : op === 'LSTM' ? quantizeLstm(g, n, name, options, report)
          : options.weightOnly?.includes(name) ? weightOnly(g, n, name, options, opset, report)
            : rewrite(g, n, name, options, quantizedInputs, report);
      if (reason) report.skipped.push({ node: name, op, reason });
      else if (op === 'LSTM') microsoft = true;
    }
  }
  finishEditors(editors);
  if (microsoft) importDomain(model, 'com.microsoft', 1);
  const float = report.skipped.filter((s) => s.reason.startsWith('left float'));
  if (float.length) report.notes = [`left float: ${float.map((s) => `${s.op} '${s.node}'`).join(', ')}`];
  for (const s of report.skipped) if (s.reason !== 'excluded' && !s.reason.startsWith('left float')) options.onWarn?.(`${s.op} '${s.node}' left float: ${s.reason}`);
  return { model, report };
}

/** Returns why a node was left float, or undefined after rewriting it. */
function rewrite(g: GraphEditor, n: NodeProto, name: string, options: DynamicQuantizeOptions,
  cache: Map<string, [string, string, string]>, report: QuantizeReport): string | undefined {
  const [a, b, c] = n.input ?? [];
  const isGemm = n.opType === 'Gemm';
  if (isGemm && getInt(n, 'transA', 0) !== 0) return 'Gemm with transA is not quantized';
  const w = g.weight(b ?? '');
  if (!w) return 'its weight input is not a constant';
  if (w.tensor.dataType !== DataType.FLOAT) return `its weight is ${w.tensor.dataType === DataType.INT8 ? 'already int8' : 'not float32'}`;
  const dims = tensorDims(w.tensor);
  if (dims.length !== 2) return `its weight has rank ${dims.length} (only 2-D weights are quantized)`;
  // MatMulInteger wants B as [K, N]; Gemm with transB stores [N, K].
  const transB = isGemm && getInt(n, 'transB', 0) === 1;
  let values = tensorToFloat32(w.tensor);
  let [k, cols] = dims as [number, number];
  if (transB) { values = transpose2d(values, dims[0]!, dims[1]!); [k, cols] = [dims[1]!, dims[0]!]; }
  const range = weightRange(options.reduceRange);
  const { q, scales } = quantizeWeights(values, [k, cols], { axis: options.perChannel === false ? undefined : 1, range });
  const alpha = isGemm ? getFloat(n, 'alpha', 1) : 1;
  const base = g.unique(`${name}_quant`);
  const wq = g.addInitializer(makeTensor({ name: g.unique(`${b}_int8`), dims: [k, cols], dtype: 'int8', values: q }));
  const ws = g.addInitializer(makeTensor({ name: g.unique(`${b}_scale`), dims: [scales.length], dtype: 'float32', values: scales.map((s) => s * alpha) }));
  let xq = cache.get(a!);
  const nodes: NodeProto[] = [];
  if (!xq) {
    xq = [g.unique(`${a}_uint8`), g.unique(`${a}_scale`), g.unique(`${a}_zero_point`)];
    nodes.push(node('DynamicQuantizeLinear', [a!], xq, g.unique(`${a}_DynamicQuantizeLinear`)));
    cache.set(a!, xq);
  }
  const out = n.output![0]!;
  const hasBias = isGemm && Boolean(c);
  const yInt = g.unique(`${base}_int32`);
  const yFloat = g.unique(`${base}_float`);
  const scale = g.unique(`${base}_scale`);
  const yScaled = hasBias ? g.unique(`${base}_scaled`) : out;
  nodes.push(
    node('MatMulInteger', [xq[0], wq, xq[2]], [yInt], g.unique(`${base}_MatMulInteger`)),
    node('Cast', [yInt], [yFloat], g.unique(`${base}_Cast`), [attr.int('to', DataType.FLOAT)]),
    node('Mul', [xq[1], ws], [scale], g.unique(`${base}_scale_Mul`)),
    node('Mul', [yFloat, scale], [yScaled], g.unique(`${base}_Mul`)),
  );
  if (hasBias) nodes.push(node('Add', [yScaled, biasInput(g, n, c!)], [out], g.unique(`${base}_bias_Add`)));
  g.replace(n, nodes);
  report.quantized.push({ node: name, op: n.opType!, weight: b!, shape: dims, weightSource: w.source, perChannel: options.perChannel !== false });
  return undefined;
}

/** A MatMul/Gemm whose weight is stored int8 behind DequantizeLinear; returns why not, as `rewrite`. */
function weightOnly(g: GraphEditor, n: NodeProto, name: string, options: DynamicQuantizeOptions, opset: number, report: QuantizeReport): string | undefined {
  const w = floatConstant(g, n.input?.[1] ?? '');
  if (!w) return 'its weight input is not a float constant';
  if (w.dims.length !== 2) return `its weight has rank ${w.dims.length} (only 2-D weights are quantized)`;
  // The output column: axis 1 of MatMul's [K, N] and of Gemm's B, axis 0 when Gemm reads B transposed ([N, K]).
  const axis = options.perChannel === false || opset < 13 ? undefined : n.opType === 'Gemm' && getInt(n, 'transB', 0) === 1 ? 0 : 1;
  dequantizeWeightInput(g, n, w, { axis, reduceRange: options.reduceRange, kind: 'weight-only-int8' });
  report.quantized.push({ node: name, op: n.opType!, weight: w.name, shape: w.dims, weightSource: w.source, perChannel: axis !== undefined, weightOnly: true });
  return undefined;
}

/** Gemm's C scaled by beta: folded into a new constant when C is one, a Mul node otherwise. */
function biasInput(g: GraphEditor, n: NodeProto, c: string): string {
  const beta = getFloat(n, 'beta', 1);
  if (beta === 1) return c;
  const w = g.weight(c);
  if (w && w.tensor.dataType === DataType.FLOAT) {
    const values = tensorToFloat32(w.tensor).map((v) => v * beta);
    return g.addInitializer(makeTensor({ name: g.unique(`${c}_beta`), dims: tensorDims(w.tensor), dtype: 'float32', values }));
  }
  const betaName = g.addInitializer(makeTensor({ name: g.unique(`${c}_beta_value`), dims: [], dtype: 'float32', values: [beta] }));
  const out = g.unique(`${c}_times_beta`);
  g.insertAfterProducer(c, [node('Mul', [c, betaName], [out], g.unique(`${c}_beta_Mul`))]);
  return out;
}
