import type { ModelProto, NodeProto } from '../formats/onnx/proto.js';
import type { Feeds } from './calibration-batches.js';
import { encodeModel } from './encode.js';
import { cloneModel, GraphEditor } from './graph.js';
import type { OnnxRuntime } from './ort.js';

/**
 * Sensitivity-driven float fallback for static QDQ: a few activation pairs cause most of the output error (a
 * per-tensor uint8 range over a tensor with outliers, an Add of two differently scaled branches), and leaving just
 * those float recovers the fidelity at no cost in bytes (an activation pair stores a scale and a zero point, not
 * weights; the weights beside it stay int8). Measured on the calibration data against the float model, as
 * onnxruntime runs it:
 * 1. every output's cosine of the fully quantized model; at or above the target, nothing changes;
 * 2. float-one: each pair removed alone, the gain in the worst output's cosine;
 * 3. greedy: the pairs by gain, each kept float only if the measured cosine improves by `minGain`, until the
 *    target is met or `maxFloat` pairs are float.
 * Removing a pair leaves every int32 bias valid (its scale s_x · s_w is a constant; the float input only stops
 * onnxruntime fusing that node into an integer kernel).
 */
export interface FloatFallbackOptions {
  /** Cosine of every output (against the float model, on the held calibration batches) aimed for. Default 0.998. */
  cosine?: number;
  /** At most this many activation pairs stay float. Default: an eighth of the pairs, at least 2. */
  maxFloat?: number;
  /** Calibration batches held for measuring (the first ones). Default 8. */
  batches?: number;
  /**
   * A pair stays float only if it adds at least this much cosine: a float pair costs no bytes but unfuses its
   * nodes' integer kernels, so it must buy something measurable. Default 0.0005.
   */
  minGain?: number;
}

export interface FloatFallbackReport {
  /** Worst output cosine on the held calibration batches, fully quantized and after the fallback. */
  before: number;
  after: number;
  /** Activation tensors left float, with the cosine gain each gave alone. */
  float: { tensor: string; gain: number }[];
  target: number;
  batches: number;
}

export const FALLBACK_DEFAULTS = { cosine: 0.998, batches: 8, minGain: 0.0005 } as const;

/** Float-one sensitivity of every activation pair of `quantized` and the greedy fallback (see above). */
export async function floatFallback(args: {
  float: ModelProto; quantized: ModelProto; pairs: readonly string[]; batches: readonly Feeds[]; runtime: OnnxRuntime; options?: FloatFallbackOptions;
}): Promise<{ model: ModelProto; report: FloatFallbackReport }> {
  const target = args.options?.cosine ?? FALLBACK_DEFAULTS.cosine;
  const maxFloat = args.options?.maxFloat ?? Math.max(2, Math.ceil(args.pairs.length / 8));
  const minGain = args.options?.minGain ?? FALLBACK_DEFAULTS.minGain;
  const reference = await modelOutputs(args.runtime, args.float, args.batches);
  const measure = async (m: ModelProto) => worstCosine(reference, await modelOutputs(args.runtime, m, args.batches));
  const before = await measure(args.quantized);
  const report: FloatFallbackReport = { before, after: before, float: [], target, batches: args.batches.length };
  if (before >= target || maxFloat <= 0) return { model: args.quantized, report };
  const gains: { tensor: string; gain: number }[] = [];
  for (const t of args.pairs) gains.push({ tensor: t, gain: (await measure(withoutPairs(args.quantized, [t]))) - before });
  gains.sort((a, b) => b.gain - a.gain);
  let best = before;
  for (const g of gains) {
    if (g.gain < minGain || report.float.length >= maxFloat || best >= target) break;
    const c = await measure(withoutPairs(args.quantized, [...report.float.map((f) => f.tensor), g.tensor]));
    if (c >= best + minGain) { best = c; report.float.push(g); }
  }
  report.after = best;
  if (!report.float.length) return { model: args.quantized, report };
  const model = cloneModel(withoutPairs(args.quantized, report.float.map((f) => f.tensor)));
  new GraphEditor(model).removeUnusedWeights();
  return { model, report };
}

/**
 * The model with the QuantizeLinear → DequantizeLinear pairs of `tensors` (as ./static.ts inserts them) taken out:
 * a shallow copy sharing every untouched node and tensor, so measuring a candidate costs no copy of the weights.
 */
export function withoutPairs(model: ModelProto, tensors: readonly string[]): ModelProto {
  const nodes = model.graph!.node ?? [];
  const producers = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producers.set(o, n);
  const drop = new Set<NodeProto>();
  const rename = new Map<string, string>(); // producer output → name restored
  const rewire = new Map<string, string>(); // dequantized graph input → the input
  for (const t of tensors) {
    // Producer case: raw → Q → DQ → t. Graph input case: t → Q → DQ → t_dequantized.
    const dq = nodes.find((n) => n.opType === 'DequantizeLinear' && (n.output?.[0] === t || producers.get(n.input?.[0] ?? '')?.input?.[0] === t) && producers.get(n.input?.[0] ?? '')?.opType === 'QuantizeLinear');
    if (!dq) continue;
    const q = producers.get(dq.input![0]!)!;
    drop.add(q).add(dq);
    const raw = q.input![0]!;
    if (dq.output![0] === t) rename.set(raw, t);
    else rewire.set(dq.output![0]!, raw);
  }
  const node = nodes.filter((n) => !drop.has(n)).map((n) => {
    const out = n.output?.some((o) => rename.has(o)) ? n.output.map((o) => rename.get(o) ?? o) : n.output;
    const inp = n.input?.some((i) => rewire.has(i)) ? n.input.map((i) => rewire.get(i) ?? i) : n.input;
    return out === n.output && inp === n.input ? n : { ...n, output: out, input: inp };
  });
  return { ...model, graph: { ...model.graph!, node } };
}

/** Every float output of `model` over `batches`, in onnxruntime as given; `state` outputs feed the next batch's inputs. */
export async function modelOutputs(runtime: OnnxRuntime, model: ModelProto, batches: readonly Feeds[], state: Readonly<Record<string, string>> = {}): Promise<Record<string, Float32Array>[]> {
  const session = await runtime.createSession(encodeModel(model), { label: 'sensitivity model' });
  try {
    const out: Record<string, Float32Array>[] = [];
    let carried: Feeds = {};
    for (const feeds of batches) {
      const r = await session.run({ ...feeds, ...carried });
      out.push(Object.fromEntries(Object.entries(r).filter(([, v]) => v.data instanceof Float32Array).map(([k, v]) => [k, v.data as Float32Array])));
      carried = Object.fromEntries(Object.entries(state).map(([input, output]) => [input, r[output]!]));
    }
    return out;
  } finally {
    await session.release();
  }
}

/** The lowest cosine over the float outputs, each over every batch. */
export function worstCosine(a: readonly Record<string, Float32Array>[], b: readonly Record<string, Float32Array>[]): number {
  let worst = 1;
  for (const name of Object.keys(a[0] ?? {})) {
    let dot = 0; let na = 0; let nb = 0;
    a.forEach((r, s) => { const x = r[name]!; const y = b[s]![name]!; for (let i = 0; i < x.length; i++) { dot += x[i]! * y[i]!; na += x[i]! ** 2; nb += y[i]! ** 2; } });
    worst = Math.min(worst, na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb || 1));
  }
  return worst;
}
