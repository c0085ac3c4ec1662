/**
 * Mixed precision by measured sensitivity, format-independent: a quantized model misses its fidelity target on
 * calibration data, and a few weights (nodes, kernels) can be kept at higher precision — float for ONNX's 8/4-bit
 * modes (src/onnx/weight-sensitivity.ts). Each candidate is kept alone and the output fidelity measured (its
 * single-weight gain, `singleGains`, which a graph model's int4 bit choice shares: src/quantize/graph-mixed-bits.ts);
 * candidates are then kept greedily, largest gain (per unit of `cost`, when given) first, each step verified
 * by a real run, while the model's compression ratio stays at or above `minRatio` and the target is not yet met.
 *
 * The format supplies how to build the model with a set kept (`run`), its fidelity on the calibration data (higher
 * is better: a cosine) and its ratio. `run` may be cheap and lazy (the format's fidelity does the model run) so a
 * candidate the ratio already rules out costs no model run.
 */
export interface FallbackLimits {
  /** Fidelity aimed for; the loop stops once it is reached. */
  target: number;
  /** Compression ratio kept at or above this. */
  minRatio: number;
  /** At most this many candidates kept. Default: no limit. */
  maxKept?: number;
  /** A candidate is kept only if it adds at least this much fidelity. Default 0. */
  minGain?: number;
}

export interface FallbackStep { key: string; gain: number }

export interface FallbackResult<R> {
  result: R;
  /** Fidelity of `first`, and of the result. */
  before: number;
  after: number;
  /** The result's ratio. */
  ratio: number;
  /** Kept candidates, in the order kept, with their single-candidate gain. */
  kept: FallbackStep[];
}

export async function sensitivityFallback<R>(o: FallbackLimits & {
  /** The model with nothing kept (what the mode writes without the fallback). */
  first: R;
  candidates: readonly string[];
  run: (kept: readonly string[]) => Promise<R>;
  fidelity: (r: R) => Promise<number>;
  ratio: (r: R) => number;
  /** What keeping a candidate costs (extra bytes): gains are ranked per unit of it. Default: all equal. */
  cost?: (key: string) => number;
  /** Candidates with the same value are alternatives for one weight (float, or another int8 form): one is kept. */
  alternativeOf?: (key: string) => string;
  /** Whether a candidate counts against `maxKept` (default: all); forms that cost no bytes need not. */
  counted?: (key: string) => boolean;
}): Promise<FallbackResult<R>> {
  const maxKept = o.maxKept ?? Infinity;
  const minGain = o.minGain ?? 0;
  const before = await o.fidelity(o.first);
  const out: FallbackResult<R> = { result: o.first, before, after: before, ratio: o.ratio(o.first), kept: [] };
  const counted = o.counted ?? (() => true);
  if (before >= o.target || out.ratio < o.minRatio) return out;
  const singles = await singleGains({ ...o, before, candidates: o.candidates.filter((key) => !(maxKept <= 0 && counted(key))) });
  const gains = singles.map((g) => ({ ...g, rank: o.cost ? g.gain / Math.max(o.cost(g.key), 1e-9) : g.gain }));
  gains.sort((a, b) => b.rank - a.rank);
  const alternativeOf = o.alternativeOf ?? ((key: string) => key);
  for (const g of gains) {
    if (g.gain < minGain || out.after >= o.target) break;
    if (counted(g.key) && out.kept.filter((k) => counted(k.key)).length >= maxKept) continue;
    if (out.kept.some((k) => alternativeOf(k.key) === alternativeOf(g.key))) continue;
    const r = await o.run([...out.kept.map((k) => k.key), g.key]);
    const ratio = o.ratio(r);
    if (ratio < o.minRatio) continue;
    const f = await o.fidelity(r);
    if (f >= out.after + minGain) { out.after = f; out.ratio = ratio; out.kept.push({ key: g.key, gain: g.gain }); out.result = r; }
  }
  return out;
}

/**
 * Each candidate kept alone (one `run` each): its fidelity gain over `before`, for the candidates whose ratio stays
 * at or above `minRatio`. The first half of the loop above; graph-mixed-bits.ts uses the gains as measured weights
 * of its bit allocation.
 */
export async function singleGains<R>(o: {
  candidates: readonly string[]; before: number; minRatio: number;
  run: (kept: readonly string[]) => Promise<R>; fidelity: (r: R) => Promise<number>; ratio: (r: R) => number;
}): Promise<FallbackStep[]> {
  const gains: FallbackStep[] = [];
  for (const key of o.candidates) {
    const r = await o.run([key]);
    if (o.ratio(r) < o.minRatio) continue;
    gains.push({ key, gain: (await o.fidelity(r)) - o.before });
  }
  return gains;
}
