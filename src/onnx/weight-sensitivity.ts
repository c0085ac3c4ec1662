import type { ModelProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { elementCountOf, tensorDims } from '../formats/onnx/tensor.js';
import { forEachGraph, forEachTensor } from '../formats/onnx/walk.js';
import type { Feeds } from './calibration-batches.js';
import type { OnnxRuntime } from './ort.js';
import { modelOutputs, worstCosine } from './static-sensitivity.js';

/**
 * The weight-level twin of static's activation fallback (./static-sensitivity.ts), for every 8/4-bit mode given
 * calibration data: when an output's cosine against the float model, on the calibration batches, is below the
 * target, each weighted node is left float alone (the mode rerun with it excluded), and the nodes whose float weights
 * help the most are kept float, greedily, while the weights stay `minRatio`× smaller than fp32. Silero VAD's state
 * outputs are the case: one 64×64×3 encoder Conv decides most of the recurrent state's error, and costs 37 KB float.
 */
export interface WeightFallbackOptions {
  /** Worst output cosine aimed for. Default 0.99. */
  cosine?: number;
  /** fp32 weight bytes ÷ written tensor bytes kept at or above this. Default 3.5. */
  minRatio?: number;
  /** At most this many nodes left float. Default 3. */
  maxFloat?: number;
  /** A node is left float only if the cosine it adds is at least this much (bytes for a measurable gain). Default 0.001. */
  minGain?: number;
}

export interface WeightFallbackReport { before: number; after: number; float: { node: string; gain: number }[]; target: number; ratio: number }

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'LSTM', 'GRU', 'RNN']);

/** fp32 parameters × 4 ÷ the bytes of every tensor `model` stores (the bench's weights ratio). */
export function weightsRatio(float: ModelProto, model: ModelProto): number {
  let params = 0; let bytes = 0;
  forEachTensor(float.graph!, ({ tensor }) => { if (tensor.dataType === DataType.FLOAT) params += elementCountOf(tensorDims(tensor)); });
  forEachTensor(model.graph!, ({ tensor }) => { bytes += tensor.rawData?.length || elementCountOf(tensorDims(tensor)) * 4; });
  return bytes ? (params * 4) / bytes : Infinity;
}

export async function weightFallback<R extends { model: ModelProto }>(args: {
  float: ModelProto; first: R; exclude: readonly string[]; run: (exclude: readonly string[]) => Promise<R>;
  batches: readonly Feeds[]; state?: Readonly<Record<string, string>>; runtime: OnnxRuntime; options?: WeightFallbackOptions;
}): Promise<{ result: R; report: WeightFallbackReport }> {
  const target = args.options?.cosine ?? 0.99;
  const minRatio = args.options?.minRatio ?? 3.5;
  const maxFloat = args.options?.maxFloat ?? 3;
  const minGain = args.options?.minGain ?? 0.001;
  const reference = await modelOutputs(args.runtime, args.float, args.batches, args.state);
  const measure = async (m: ModelProto) => worstCosine(reference, await modelOutputs(args.runtime, m, args.batches, args.state));
  const before = await measure(args.first.model);
  const report: WeightFallbackReport = { before, after: before, float: [], target, ratio: weightsRatio(args.float, args.first.model) };
  if (before >= target || maxFloat <= 0 || report.ratio < minRatio) return { result: args.first, report };
  const nodes: string[] = [];
  forEachGraph(args.float.graph!, (g) => { for (const n of g.node ?? []) if (WEIGHTED.has(n.opType ?? '') && n.name && !args.exclude.includes(n.name)) nodes.push(n.name); });
  const gains: { node: string; gain: number }[] = [];
  for (const node of nodes) {
    const r = await args.run([...args.exclude, node]);
    if (weightsRatio(args.float, r.model) < minRatio) continue;
    gains.push({ node, gain: (await measure(r.model)) - before });
  }
  gains.sort((a, b) => b.gain - a.gain);
  let best = args.first;
  for (const g of gains) {
    if (g.gain < minGain || report.float.length >= maxFloat || report.after >= target) break;
    const r = await args.run([...args.exclude, ...report.float.map((f) => f.node), g.node]);
    const ratio = weightsRatio(args.float, r.model);
    if (ratio < minRatio) continue;
    const c = await measure(r.model);
    if (c >= report.after + minGain) { report.after = c; report.ratio = ratio; report.float.push(g); best = r; }
  }
  return { result: best, report };
}
