import type { NodeProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { makeTensor } from '../formats/onnx/tensor.js';
import { attr } from './attrs.js';
import { floatConstant, sharedInitializers, type FloatConstant } from './constants.js';
import { node, type GraphEditor } from './graph.js';
import { quantizeWeights, weightRange } from './quant-weights.js';
import type { QuantizeReport } from './report.js';

/**
 * Conv under dynamic INT8. onnxruntime's CPU ConvInteger (1.30.0) multiplies uint8 by uint8 with one zero point per
 * tensor, so the two forms are:
 * - 'weights': int8 codes per output channel → DequantizeLinear(axis 0) → the float Conv. Nothing changes at run
 *   time but a dequantize of the weight; accuracy is the weights' alone.
 * - 'integer': DynamicQuantizeLinear(x) → ConvInteger(x_u8, W_u8, x_zp, 128) → Cast → Mul(x_scale) → Mul(w_scale[c])
 *   [→ Add(bias)]: symmetric int8 codes shifted by 128 into uint8 (zero point 128 for every channel, so the zero
 *   point stays scalar), per-channel scales applied to the float result.
 */
export type DynamicConvForm = 'weights' | 'integer' | 'float';

export interface ConvOptions {
  form: Exclude<DynamicConvForm, 'float'>; perChannel: boolean; reduceRange?: boolean;
  /** 'weights' form: the weight axis its scales run along (default 0, the output channel; see WeightOnlyOptions.axes). */
  axis?: number;
  /** Weights that stay float32, with why (./quant-weights.ts floatKept). */
  keep?: ReadonlyMap<string, string>;
}

/**
 * A node's constant weight input as int8 codes → DequantizeLinear (per channel along `axis`, or per tensor) → the
 * same float node: the weights' rounding alone, no activation rounding. The codes are made once per constant (and
 * axis) in the constant's own scope, so If branches reading one weight share them.
 */
export function dequantizeWeightInput(g: GraphEditor, n: NodeProto, w: FloatConstant, options: { axis?: number; reduceRange?: boolean; kind: string }): void {
  const { axis } = options;
  const wName = w.name;
  const cdims = axis === undefined ? [] : [w.dims[axis]!];
  // Symmetric: no zero point input (0 of x's type, int8), a byte per channel less.
  const [wq, ws] = sharedInitializers(w, `${options.kind}-${axis ?? 'tensor'}${options.reduceRange ? '-7bit' : ''}`, (owner) => {
    const { q, scales } = quantizeWeights(w.values, w.dims, { axis, range: weightRange(options.reduceRange) });
    return [
      owner.addInitializer(makeTensor({ name: owner.unique(`${wName}_int8`), dims: w.dims, dtype: 'int8', values: q })),
      owner.addInitializer(makeTensor({ name: owner.unique(`${wName}_scale`), dims: cdims, dtype: 'float32', values: scales })),
    ];
  }) as [string, string];
  const wdq = g.unique(`${wName}_dequantized`);
  const dq = node('DequantizeLinear', [wq, ws], [wdq], g.unique(`${wName}_DequantizeLinear`), axis === undefined ? [] : [attr.int('axis', axis)]);
  n.input = n.input!.map((i) => (i === wName ? wdq : i));
  g.graph.node!.splice(g.graph.node!.indexOf(n), 0, dq);
}

/** Returns why the Conv was left float, or undefined after rewriting it. */
export function quantizeConv(g: GraphEditor, n: NodeProto, name: string, options: ConvOptions,
  cache: Map<string, [string, string, string]>, report: QuantizeReport): string | undefined {
  const [x, wName, bName] = n.input ?? [];
  const w = floatConstant(g, wName ?? '');
  if (!w) return 'its weight input is not a float constant';
  const small = options.keep?.get(wName!);
  if (small) return `left float: ${small}`;
  const rank = w.dims.length;
  const channels = w.dims[0]!;
  const bias = bName ? floatConstant(g, bName) : undefined;
  if (bName && options.form === 'integer' && !bias) return 'its bias is not a float constant';
  const axis = options.perChannel ? 0 : undefined;
  if (options.form === 'weights') {
    const along = axis === undefined || options.axis === undefined || options.axis >= rank ? axis : options.axis;
    dequantizeWeightInput(g, n, w, { axis: along, reduceRange: options.reduceRange, kind: 'conv-int8' });
  } else {
    const { q, scales } = quantizeWeights(w.values, w.dims, { axis, range: weightRange(options.reduceRange) });
    const u8 = Int32Array.from(q, (v) => v + 128);
    const wq = g.addInitializer(makeTensor({ name: g.unique(`${wName}_uint8`), dims: w.dims, dtype: 'uint8', values: u8 }));
    const wzp = g.addInitializer(makeTensor({ name: g.unique(`${wName}_zero_point`), dims: [], dtype: 'uint8', values: [128] }));
    // [C, 1, 1, ...]: broadcasts over the Conv output [N, C, spatial...].
    const bdims = [channels, ...Array<number>(rank - 2).fill(1)];
    const perChannel = Float32Array.from({ length: channels }, (_, c) => scales[axis === undefined ? 0 : c]!);
    const ws = g.addInitializer(makeTensor({ name: g.unique(`${wName}_scale`), dims: bdims, dtype: 'float32', values: perChannel }));
    let xq = cache.get(x!);
    const nodes: NodeProto[] = [];
    if (!xq) {
      xq = [g.unique(`${x}_uint8`), g.unique(`${x}_scale`), g.unique(`${x}_zero_point`)];
      nodes.push(node('DynamicQuantizeLinear', [x!], xq, g.unique(`${x}_DynamicQuantizeLinear`)));
      cache.set(x!, xq);
    }
    const base = g.unique(`${name}_quant`);
    const out = n.output![0]!;
    const names = ['int32', 'float', 'xscaled'].map((s) => g.unique(`${base}_${s}`));
    const scaled = bias ? g.unique(`${base}_scaled`) : out;
    const convAttrs = (n.attribute ?? []).filter((a) => ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'].includes(a.name ?? ''));
    nodes.push(
      { ...node('ConvInteger', [xq[0], wq, xq[2], wzp], [names[0]!], g.unique(`${base}_ConvInteger`)), attribute: convAttrs },
      node('Cast', [names[0]!], [names[1]!], g.unique(`${base}_Cast`), [attr.int('to', DataType.FLOAT)]),
      node('Mul', [names[1]!, xq[1]], [names[2]!], g.unique(`${base}_x_scale_Mul`)),
      node('Mul', [names[2]!, ws], [scaled], g.unique(`${base}_w_scale_Mul`)),
    );
    if (bias) {
      const b = g.addInitializer(makeTensor({ name: g.unique(`${bName}_broadcast`), dims: bdims, dtype: 'float32', values: bias.values }));
      nodes.push(node('Add', [scaled, b], [out], g.unique(`${base}_bias_Add`)));
    }
    g.replace(n, nodes);
  }
  report.quantized.push({ node: name, op: 'Conv', weight: wName!, shape: w.dims, weightSource: w.source, perChannel: axis !== undefined });
  return undefined;
}
