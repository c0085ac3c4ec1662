import type { ModelProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { elementCountOf, tensorDims } from '../formats/onnx/tensor.js';
import { forEachGraph, forEachTensor } from '../formats/onnx/walk.js';
import type { Feeds } from './calibration-batches.js';
import type { OnnxRuntime } from './ort.js';
import { modelOutputs, worstCosine } from './static-sensitivity.js';
import { sensitivityFallback } from '../quantize/sensitivity-fallback.js';

/**
 * The weight-level twin of static's activation fallback (./static-sensitivity.ts), for every 8/4-bit mode given
 * calibration data: when an output's cosine against the float model, on the calibration batches, is below the
 * target, each weighted node is left float alone (the mode rerun with it excluded), and the nodes whose float weights
 * help the most are kept float, greedily, while the weights stay `minRatio`× smaller than fp32. Silero VAD's state
 * outputs are the case: one 64×64×3 encoder Conv decides most of the recurrent state's error, and costs 37 KB float.
 * The greedy loop is src/quantize/sensitivity-fallback.ts, shared with graph models' int4 → int8 kernel choice.
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
  const reference = await modelOutputs(args.runtime, args.float, args.batches, args.state);
  const nodes: string[] = [];
  forEachGraph(args.float.graph!, (g) => { for (const n of g.node ?? []) if (WEIGHTED.has(n.opType ?? '') && n.name && !args.exclude.includes(n.name)) nodes.push(n.name); });
  const r = await sensitivityFallback({
    first: args.first, candidates: nodes, target,
    minRatio: args.options?.minRatio ?? 3.5, maxKept: args.options?.maxFloat ?? 3, minGain: args.options?.minGain ?? 0.001,
    run: (kept) => args.run([...args.exclude, ...kept]),
    fidelity: async (m) => worstCosine(reference, await modelOutputs(args.runtime, m.model, args.batches, args.state)),
    ratio: (m) => weightsRatio(args.float, m.model),
  });
  return { result: r.result, report: { before: r.before, after: r.after, float: r.kept.map((k) => ({ node: k.key, gain: k.gain })), target, ratio: r.ratio } };
}
