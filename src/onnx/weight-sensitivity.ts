import type { ModelProto, TensorProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { elementCountOf, tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { forEachGraph, forEachTensor } from '../formats/onnx/walk.js';
import type { Feeds } from './calibration-batches.js';
import type { OnnxRuntime } from './ort.js';
import { quantizeWeights } from './quant-weights.js';
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

/**
 * A node the fallback changed: its weights kept float; (dynamic) int8 weight-only instead of integer compute; or its
 * int8 scales along another axis of a Conv weight (`axis`), as a windowed filter bank wants one scale per tap.
 */
export interface WeightFallbackPick { node: string; gain: number; form: 'float' | 'weight-only' | 'axis' | 'pair'; axis?: number }

export interface WeightFallbackReport { before: number; after: number; float: WeightFallbackPick[]; target: number; ratio: number }

/** What the mode is rerun with: nodes left float, and nodes stored weight-only in place of the mode's own form. */
export interface WeightFallbackChoice { exclude: readonly string[]; weightOnly: readonly string[]; axes: Record<string, number>; pairs: Record<string, number> }

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'LSTM', 'GRU', 'RNN']);

/**
 * The axes of a Conv weight other than the output channel whose int8 scales round it with less squared error: only
 * those are tried, so that a pick is one the weight itself supports, not a chance cancellation on the calibration
 * data (Silero VAD's STFT basis [258, 1, 256], Hann-windowed rows: per tap 2.7× less error than per bin).
 */
function betterAxes(t: TensorProto | undefined): number[] {
  const errors = axisErrors(t);
  return errors.slice(1).flatMap((e, i) => (e < errors[0]! ? [i + 1] : []));
}

/** The squared error of a weight's int8 rounding with scales along each of its axes (none for rank < 2). */
function axisErrors(t: TensorProto | undefined): number[] {
  if (!t) return [];
  const dims = tensorDims(t);
  if (dims.length < 2) return [];
  const values = tensorToFloat32(t);
  return dims.map((_, axis) => {
    const { q, scales } = quantizeWeights(values, dims, { axis });
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    let e = 0;
    for (let i = 0; i < values.length; i++) e += (q[i]! * scales[Math.floor(i / inner) % dims[axis]!]! - values[i]!) ** 2;
    return e;
  });
}

/** fp32 parameters × 4 ÷ the bytes of every tensor `model` stores (the bench's weights ratio). */
export function weightsRatio(float: ModelProto, model: ModelProto): number {
  let params = 0; let bytes = 0;
  forEachTensor(float.graph!, ({ tensor }) => { if (tensor.dataType === DataType.FLOAT) params += elementCountOf(tensorDims(tensor)); });
  forEachTensor(model.graph!, ({ tensor }) => { bytes += tensor.rawData?.length || elementCountOf(tensorDims(tensor)) * 4; });
  return bytes ? (params * 4) / bytes : Infinity;
}

/**
 * Besides float, each node is tried in the forms that cost no bytes over int8 (so they do not count against
 * `maxFloat`): `weightOnlyOps`, op types the mode can also run weight-only (dynamic: MatMul/Gemm); and for Conv
 * weights, int8 scales along each other axis.
 */
export async function weightFallback<R extends { model: ModelProto }>(args: {
  float: ModelProto; first: R; exclude: readonly string[]; run: (choice: WeightFallbackChoice) => Promise<R>;
  batches: readonly Feeds[]; state?: Readonly<Record<string, string>>; runtime: OnnxRuntime; options?: WeightFallbackOptions;
  weightOnlyOps?: ReadonlySet<string>;
  /** The Conv form tried at no extra bytes: 'axis' (8-bit modes, default) or 'pair' (float16: two int8 terms, ./weight-only.ts `pairs`). */
  convForm?: 'axis' | 'pair';
}): Promise<{ result: R; report: WeightFallbackReport }> {
  const target = args.options?.cosine ?? 0.99;
  const reference = await modelOutputs(args.runtime, args.float, args.batches, args.state);
  const tensors = new Map<string, TensorProto>();
  forEachTensor(args.float.graph!, ({ tensor }) => { if (tensor.name && tensor.dataType === DataType.FLOAT) tensors.set(tensor.name, tensor); });
  type Candidate = Omit<WeightFallbackPick, 'gain'>;
  const candidates = new Map<string, Candidate>();
  const add = (c: Candidate) => candidates.set(`${c.form}${c.axis ?? ''}:${c.node}`, c);
  forEachGraph(args.float.graph!, (g) => {
    for (const n of g.node ?? []) {
      if (!WEIGHTED.has(n.opType ?? '') || !n.name || args.exclude.includes(n.name)) continue;
      if (args.weightOnlyOps?.has(n.opType!)) add({ node: n.name, form: 'weight-only' });
      const weight = tensors.get(n.input?.[1] ?? '');
      if (n.opType === 'Conv' && args.convForm === 'pair') {
        // Along the axis whose scales round the weight best: the second term then has the least left to round.
        const errors = axisErrors(weight);
        if (errors.length) add({ node: n.name, form: 'pair', axis: errors.indexOf(Math.min(...errors)) });
      } else if (n.opType === 'Conv') for (const axis of betterAxes(weight)) add({ node: n.name, form: 'axis', axis });
      add({ node: n.name, form: 'float' });
    }
  });
  const picks = (keys: readonly string[]) => keys.map((k) => candidates.get(k)!);
  const r = await sensitivityFallback({
    first: args.first, candidates: [...candidates.keys()], target,
    minRatio: args.options?.minRatio ?? 3.5, maxKept: args.options?.maxFloat ?? 3, minGain: args.options?.minGain ?? 0.001,
    alternativeOf: (k) => candidates.get(k)!.node,
    counted: (k) => candidates.get(k)!.form === 'float',
    run: (kept) => args.run({
      exclude: [...args.exclude, ...picks(kept).filter((p) => p.form === 'float').map((p) => p.node)],
      weightOnly: picks(kept).filter((p) => p.form === 'weight-only').map((p) => p.node),
      axes: Object.fromEntries(picks(kept).filter((p) => p.form === 'axis').map((p) => [p.node, p.axis!])),
      pairs: Object.fromEntries(picks(kept).filter((p) => p.form === 'pair').map((p) => [p.node, p.axis!])),
    }),
    fidelity: async (m) => worstCosine(reference, await modelOutputs(args.runtime, m.model, args.batches, args.state)),
    ratio: (m) => weightsRatio(args.float, m.model),
  });
  return { result: r.result, report: { before: r.before, after: r.after, float: r.kept.map((k) => ({ ...candidates.get(k.key)!, gain: k.gain })), target, ratio: r.ratio } };
}
