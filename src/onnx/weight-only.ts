import type { ModelProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { makeTensor, tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { attr } from './attrs.js';
import { cloneModel, GraphEditor, node } from './graph.js';
import { quantizeWeights } from './quant-weights.js';

/**
 * Weight-only storage for the wire: the file is smaller, the compute stays float. Each large float constant
 * becomes fp16 + Cast(float), or int8 + DequantizeLinear (per channel of axis 0 when opset ≥ 13); onnxruntime folds
 * the Cast at load, while the DequantizeLinear runs per inference (cheap next to the MatMul it feeds).
 */
export interface WeightOnlyOptions {
  format: 'fp16' | 'int8';
  /** Constants with fewer elements stay float32 (biases, BN parameters). Default 1024. */
  minElements?: number;
}

export interface WeightOnlyReport { format: 'fp16' | 'int8'; weights: { weight: string; shape: number[]; bytesBefore: number; bytesAfter: number }[] }

export function storeWeights(input: ModelProto, options: WeightOnlyOptions): { model: ModelProto; report: WeightOnlyReport } {
  const model = cloneModel(input);
  const g = new GraphEditor(model);
  const report: WeightOnlyReport = { format: options.format, weights: [] };
  const minElements = options.minElements ?? 1024;
  const perChannel = g.opset() >= 13;
  const names = [...g.graph.initializer!.map((t) => t.name ?? ''), ...g.graph.node!.filter((n) => n.opType === 'Constant').map((n) => n.output![0]!)];
  for (const name of names) {
    const w = g.weight(name);
    if (!w || w.tensor.dataType !== DataType.FLOAT) continue;
    const dims = tensorDims(w.tensor);
    const values = tensorToFloat32(w.tensor);
    if (values.length < minElements) continue;
    const stored = g.unique(`${name}_${options.format}`);
    let nodes;
    let bytesAfter: number;
    if (options.format === 'fp16') {
      g.addInitializer(makeTensor({ name: stored, dims, dtype: 'float16', values }));
      nodes = [node('Cast', [stored], [name], g.unique(`${name}_Cast`), [attr.int('to', DataType.FLOAT)])];
      bytesAfter = 2 * values.length;
    } else {
      const axis = perChannel && dims.length > 1 ? 0 : undefined;
      const { q, scales } = quantizeWeights(values, dims, { axis });
      const cdims = axis === undefined ? [] : [scales.length];
      g.addInitializer(makeTensor({ name: stored, dims, dtype: 'int8', values: q }));
      const scale = g.addInitializer(makeTensor({ name: g.unique(`${name}_scale`), dims: cdims, dtype: 'float32', values: scales }));
      const zp = g.addInitializer(makeTensor({ name: g.unique(`${name}_zero_point`), dims: cdims, dtype: 'int8', values: new Int32Array(scales.length) }));
      nodes = [node('DequantizeLinear', [stored, scale, zp], [name], g.unique(`${name}_DequantizeLinear`), axis === undefined ? [] : [attr.int('axis', axis)])];
      bytesAfter = values.length + 5 * scales.length;
    }
    // The float constant disappears; a node now produces the same name, so no reader changes.
    if (w.source === 'initializer') g.graph.initializer = g.graph.initializer!.filter((t) => t !== w.tensor);
    if (w.node) g.replace(w.node, nodes);
    else g.graph.node!.unshift(...nodes);
    report.weights.push({ weight: name, shape: dims, bytesBefore: 4 * values.length, bytesAfter });
  }
  return { model, report };
}
