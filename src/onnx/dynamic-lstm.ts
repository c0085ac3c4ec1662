import type { NodeProto } from '../formats/onnx/proto.js';
import { makeTensor } from '../formats/onnx/tensor.js';
import { getInt } from './attrs.js';
import { floatConstant, sharedInitializers } from './constants.js';
import type { DynamicQuantizeOptions } from './dynamic.js';
import { node, type GraphEditor } from './graph.js';
import { quantizeWeights, weightRange } from './quant-weights.js';
import type { QuantizeReport } from './report.js';

/**
 * LSTM → com.microsoft DynamicQuantizeLSTM, onnxruntime's integer LSTM: the same inputs and attributes, plus int8
 * W and R stored transposed ([directions, input, 4·hidden], [directions, hidden, 4·hidden]) with one scale and zero
 * point per gate column ([directions, 4·hidden]). X, the state and the outputs stay float.
 */
export function quantizeLstm(g: GraphEditor, n: NodeProto, name: string, options: DynamicQuantizeOptions, report: QuantizeReport): string | undefined {
  if (getInt(n, 'layout', 0) !== 0) return 'LSTM with layout=1 has no DynamicQuantizeLSTM form';
  const [x, wName, rName, ...rest] = n.input ?? [];
  const w = floatConstant(g, wName ?? '');
  const r = floatConstant(g, rName ?? '');
  if (!w || !r || w.dims.length !== 3 || r.dims.length !== 3) return 'its W/R inputs are not 3-D float constants';
  const range = weightRange(options.reduceRange);
  const perColumn = options.perChannel !== false;
  const quantized = [w, r].map((t) => sharedInitializers(t, `lstm${perColumn ? '' : '-tensor'}${options.reduceRange ? '-7bit' : ''}`, (owner) => {
    const [dirs, gates, inner] = t.dims as [number, number, number];
    // [D, 4H, K] → [D, K, 4H]; then the gate column (axis 2) varies fastest, so per-column scales are one
    // quantizeWeights per direction with axis 1 of the [K, 4H] slice.
    const transposed = new Float32Array(t.values.length);
    for (let d = 0; d < dirs; d++) for (let o = 0; o < gates; o++) for (let k = 0; k < inner; k++) {
      transposed[(d * inner + k) * gates + o] = t.values[(d * gates + o) * inner + k]!;
    }
    const q = new Int32Array(t.values.length);
    const scales = new Float32Array(dirs * gates);
    for (let d = 0; d < dirs; d++) {
      const slice = transposed.subarray(d * inner * gates, (d + 1) * inner * gates);
      const part = quantizeWeights(slice, [inner, gates], { axis: perColumn ? 1 : undefined, range });
      q.set(part.q, d * inner * gates);
      scales.set(part.scales.length === 1 ? new Float32Array(gates).fill(part.scales[0]!) : part.scales, d * gates);
    }
    return [
      owner.addInitializer(makeTensor({ name: owner.unique(`${t.name}_int8`), dims: [dirs, inner, gates], dtype: 'int8', values: q })),
      owner.addInitializer(makeTensor({ name: owner.unique(`${t.name}_scale`), dims: [dirs, gates], dtype: 'float32', values: scales })),
      owner.addInitializer(makeTensor({ name: owner.unique(`${t.name}_zero_point`), dims: [dirs, gates], dtype: 'int8', values: new Int32Array(dirs * gates) })),
    ];
  }));
  const optional = [...rest, '', '', '', '', ''].slice(0, 5);
  const inputs = [x!, quantized[0]![0]!, quantized[1]![0]!, ...optional, quantized[0]![1]!, quantized[0]![2]!, quantized[1]![1]!, quantized[1]![2]!];
  const q = node('DynamicQuantizeLSTM', inputs, [...n.output!], g.unique(`${name}_DynamicQuantizeLSTM`),
    // DynamicQuantizeLSTM has no `layout` (only 0 reaches here, its default).
    (n.attribute ?? []).filter((a) => a.name !== 'layout'));
  q.domain = 'com.microsoft';
  g.replace(n, [q]);
  report.quantized.push({ node: name, op: 'LSTM', weight: `${wName}, ${rName}`, shape: w.dims, weightSource: w.source, perChannel: options.perChannel !== false });
  return undefined;
}
