import { ShrinkmlError } from '../core/errors.js';
import type { ModelProto, TensorProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { setFloatValues, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { countToPrune, keepAllButLowest } from '../prune/select.js';
import { cloneModel, GraphEditor, type Weight } from './graph.js';

/**
 * Unstructured magnitude pruning of the weights of Conv, Gemm and MatMul nodes (initializers or Constant nodes):
 * the smallest |w| become exactly zero, the graph keeps its shape. The saving shows in gzip (and in int8 after
 * quantization, where zero stays zero). Exact counts and tie-breaking are src/prune/select.ts's.
 */
export interface PruneOnnxOptions {
  /** Fraction of weights to zero, in [0, 1). */
  sparsity: number;
  /** 'layer': every weight reaches the sparsity; 'global': one threshold over all of them. */
  scope?: 'layer' | 'global';
  /** Node names to leave dense. */
  exclude?: readonly string[];
  /** Weights with fewer elements are left dense (a first conv's few weights matter most). Default 0. */
  minElements?: number;
}

export interface PrunedWeight { node: string; op: string; weight: string; size: number; zeros: number; weightSource: Weight['source'] }

export interface PruneReport { scope: 'layer' | 'global'; sparsity: number; weights: PrunedWeight[] }

const OPS = new Set(['Conv', 'Gemm', 'MatMul', 'ConvTranspose']);

export function pruneOnnx(input: ModelProto, options: PruneOnnxOptions): { model: ModelProto; report: PruneReport } {
  const { sparsity, scope = 'layer' } = options;
  if (!(Number.isFinite(sparsity) && sparsity >= 0 && sparsity < 1)) {
    throw new ShrinkmlError('BAD_INPUT', `sparsity ${sparsity} is out of range [0, 1)`, { subject: '--prune', suggestion: 'e.g. 0.9 for 90% zeros' });
  }
  const model = cloneModel(input);
  const g = new GraphEditor(model);
  const targets: { node: string; op: string; weight: Weight; values: Float32Array }[] = [];
  const seen = new Set<TensorProto>();
  for (const n of g.graph.node!) {
    if (!OPS.has(n.opType ?? '') || (n.domain && n.domain !== 'ai.onnx')) continue;
    const name = n.name || n.output?.[0] || n.opType!;
    const w = g.weight(n.input?.[1] ?? '');
    if (!w || w.tensor.dataType !== DataType.FLOAT || options.exclude?.includes(name) || seen.has(w.tensor)) continue;
    const values = tensorToFloat32(w.tensor);
    if (values.length < (options.minElements ?? 0)) continue;
    seen.add(w.tensor);
    targets.push({ node: name, op: n.opType!, weight: w, values });
  }
  const masks = scope === 'global' ? globalMasks(targets.map((t) => t.values), sparsity)
    : targets.map((t) => keepAllButLowest(abs(t.values), countToPrune(t.values.length, sparsity)));
  const report: PruneReport = { scope, sparsity, weights: [] };
  targets.forEach((t, i) => {
    const keep = masks[i]!;
    let zeros = 0;
    for (let j = 0; j < keep.length; j++) if (!keep[j]) { t.values[j] = 0; }
    for (const v of t.values) if (v === 0) zeros++;
    setFloatValues(t.weight.tensor, t.values);
    report.weights.push({ node: t.node, op: t.op, weight: t.weight.name, size: t.values.length, zeros, weightSource: t.weight.source });
  });
  return { model, report };
}

function abs(values: Float32Array): Float32Array {
  return values.map(Math.abs);
}

function globalMasks(parts: Float32Array[], sparsity: number): Uint8Array[] {
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(abs(p), at); at += p.length; }
  const keep = keepAllButLowest(all, countToPrune(all.length, sparsity));
  at = 0;
  return parts.map((p) => { const m = keep.slice(at, at + p.length); at += p.length; return m; });
}

export { setFloatValues };
