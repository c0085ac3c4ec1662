import type { ModelProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { makeTensor, tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { getFloat, getInt } from './attrs.js';
import { cloneModel, GraphEditor } from './graph.js';
import { setFloatValues } from './prune.js';

/**
 * Folds an inference BatchNormalization into the Conv before it: W' = W · s, b' = (b - mean) · s + beta with
 * s = gamma / sqrt(var + eps). Run before static quantization, so the int8 Conv already includes the
 * normalization (onnxruntime would fold it for float models, but not across a Q/DQ pair).
 */
export function foldBatchNorms(input: ModelProto): { model: ModelProto; folded: { conv: string; batchNorm: string }[] } {
  const model = cloneModel(input);
  const g = new GraphEditor(model);
  const folded: { conv: string; batchNorm: string }[] = [];
  for (const conv of [...g.graph.node!]) {
    if (conv.opType !== 'Conv' || (conv.domain && conv.domain !== 'ai.onnx')) continue;
    const out = conv.output![0]!;
    const users = g.consumers(out);
    const bn = users[0];
    if (users.length !== 1 || g.useCount(out) !== 1 || bn?.opType !== 'BatchNormalization' || bn.input![0] !== out) continue;
    if ((bn.output ?? []).filter(Boolean).length !== 1 || getInt(bn, 'training_mode', 0) !== 0) continue;
    const w = g.weight(conv.input![1] ?? '');
    const b = conv.input![2] ? g.weight(conv.input![2]) : undefined;
    const params = bn.input!.slice(1, 5).map((i) => g.weight(i));
    if (!w || (conv.input![2] && !b) || params.some((p) => !p || p.tensor.dataType !== DataType.FLOAT)) continue;
    if ([w, b, ...params].some((x) => x && g.useCount(x.name) !== 1) || w.tensor.dataType !== DataType.FLOAT) continue;
    const [gamma, beta, mean, variance] = params.map((p) => tensorToFloat32(p!.tensor)) as Float32Array[];
    const eps = getFloat(bn, 'epsilon', 1e-5);
    const dims = tensorDims(w.tensor);
    const m = dims[0]!;
    if ([gamma, beta, mean, variance].some((p) => p!.length !== m)) continue;
    const scale = Float32Array.from(gamma!, (gm, c) => gm / Math.sqrt(variance![c]! + eps));
    const values = tensorToFloat32(w.tensor);
    const per = values.length / m;
    for (let i = 0; i < values.length; i++) values[i] = values[i]! * scale[Math.floor(i / per)]!;
    setFloatValues(w.tensor, values, dims);
    const bias = b ? tensorToFloat32(b.tensor) : new Float32Array(m);
    const newBias = Float32Array.from(bias, (v, c) => (v - mean![c]!) * scale[c]! + beta![c]!);
    if (b) setFloatValues(b.tensor, newBias, [m]);
    else conv.input = [conv.input![0]!, conv.input![1]!, g.addInitializer(makeTensor({ name: g.unique(`${conv.name || out}_bias`), dims: [m], dtype: 'float32', values: newBias }))];
    conv.output = [bn.output![0]!];
    g.graph.node = g.graph.node!.filter((n) => n !== bn);
    g.graph.valueInfo = (g.graph.valueInfo ?? []).filter((v) => v.name !== out);
    folded.push({ conv: conv.name || out, batchNorm: bn.name || bn.output![0]! });
  }
  g.removeUnusedWeights();
  return { model, folded };
}
