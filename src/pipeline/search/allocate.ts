import type { InputOptions } from '../../data/feeds.js';
import type { Dataset } from '../../data/types.js';
import { formatOf } from '../../formats/index.js';
import type { LoadedModel } from '../../formats/types.js';
import { isProbabilities } from '../../measure/index.js';
import { modelOutputs } from './correctness.js';
import { applyChoice, unitWeights, type UnitTable } from './space.js';

/**
 * Per-layer allocation under a size budget, the rate–distortion way: each unit's choices have a distortion (the
 * output error it causes alone) and a cost (stored bits); for a trade-off λ every unit independently picks the
 * choice minimising distortion + λ·bits, and sweeping λ gives the path from the smallest model to the untouched
 * one. Consecutive points move several units at once where the trade-off says so, so the search bisects along
 * the path instead of relaxing one layer per trial.
 */
export interface PathPoint {
  /** Choice index per unit (same order as the tables). */
  picks: number[];
  /** Predicted output distortion (sum over units). */
  distortion: number;
  /** Estimated stored bits (sum over units). */
  bits: number;
}

/** Output distortion of a unit alone at one choice, and the scale that turns weight error into distortion. */
export interface UnitSensitivity { unit: string; choice: number; weightError: number; distortion: number; scale: number }

/**
 * Output distortion between two models' first outputs on the same rows: mean KL divergence for probability
 * outputs (classifiers), else the error energy relative to the reference's variance.
 */
export function outputDistortion(reference: Float32Array, candidate: Float32Array, cols: number): number {
  const rows = reference.length / cols;
  if (isProbabilities(reference, rows, cols)) {
    let kl = 0;
    for (let i = 0; i < reference.length; i++) {
      const p = reference[i]!;
      if (p > 0) kl += p * Math.log(p / Math.max(candidate[i]!, 1e-12));
    }
    return Math.max(0, kl / rows);
  }
  let mean = 0;
  for (const v of reference) mean += v;
  mean /= reference.length || 1;
  let err = 0;
  let varr = 0;
  for (let i = 0; i < reference.length; i++) {
    err += (candidate[i]! - reference[i]!) ** 2;
    varr += (reference[i]! - mean) ** 2;
  }
  return err / (varr || 1);
}

/** The fewest samples a probe measures distortion on when the budget forces fewer than asked. */
const MIN_PROBE_SAMPLES = 32;

/** What the probes give the allocation: each unit's predicted distortion per choice, and the rows for the report. */
export interface ProbeResult { distortion: number[][]; rows: UnitSensitivity[]; exhaustive: boolean; /** Samples each probe measured. */ samples: number }

/**
 * Fine-tuning-free probes: a unit alone compressed at a choice, everything else intact, the output distortion
 * measured on `samples` against the input's outputs. Where `budgetSeconds` affords it every choice of every unit
 * is probed (exhaustive); otherwise one moderate choice per unit (weight error nearest 5%) and distortion ≈ scale ×
 * weight error predicts the others (second order in the weights, as Hessian-trace allocation assumes). Works on a
 * copy; `source` is untouched.
 */
export async function probeUnits(o: { source: LoadedModel; tables: UnitTable[]; samples: Dataset; inputs?: InputOptions; budgetSeconds: number; signal?: AbortSignal }): Promise<ProbeResult> {
  const adapter = formatOf(o.source);
  const t0 = Date.now();
  let reference = await modelOutputs({ loaded: o.source, data: o.samples, inputs: o.inputs });
  // A probe costs a pass over the samples (as the reference did) plus building the choice's weights.
  const perProbe = Math.max(0.01, (Date.now() - t0) / 1000) * 1.5;
  const probes = o.tables.reduce((a, t) => a + t.choices.length, 0);
  const exhaustive = probes * perProbe <= o.budgetSeconds;
  // Even one probe per unit can outrun the budget on a large model (a MobileNet's 50 kernels × 128 photos): probe
  // on the first samples only, as many as the budget affords (at least MIN_PROBE_SAMPLES); their reference
  // outputs are the first rows of the reference already computed.
  let samples = o.samples;
  const fit = Math.floor(reference.rows * o.budgetSeconds / (o.tables.length * perProbe));
  if (!exhaustive && fit < reference.rows && reference.rows > MIN_PROBE_SAMPLES) {
    const rows = Math.max(MIN_PROBE_SAMPLES, fit);
    samples = { ...o.samples, count: rows };
    reference = { ...reference, rows, data: reference.data.subarray(0, rows * reference.cols) };
  }
  const work = await adapter.clone(o.source as never) as LoadedModel;
  const rows: UnitSensitivity[] = [];
  const distortion: number[][] = [];
  const probe = async (weights: Awaited<ReturnType<typeof unitWeights>>, t: UnitTable, choice: number) => {
    if (t.error[choice] === 0) return 0;
    for (const w of weights) w.write(applyChoice(w, t.choices[choice]!));
    const out = await modelOutputs({ loaded: work, data: samples, inputs: o.inputs });
    for (const w of weights) w.write(w.values);
    return outputDistortion(reference.data, out.data, reference.cols);
  };
  try {
    for (const t of o.tables) {
      if (o.signal?.aborted) break;
      const weights = await unitWeights(work, t.unit);
      if (exhaustive) {
        const d: number[] = [];
        for (let c = 0; c < t.choices.length; c++) d.push(await probe(weights, t, c));
        distortion.push(d);
        const c = d.indexOf(Math.max(...d));
        rows.push({ unit: t.unit.name, choice: c, weightError: t.error[c]!, distortion: d[c]!, scale: t.error[c] ? d[c]! / t.error[c]! : 0 });
        continue;
      }
      let choice = -1;
      t.error.forEach((e, i) => {
        if (e > 0 && (choice < 0 || Math.abs(Math.log(e / 0.05)) < Math.abs(Math.log(t.error[choice]! / 0.05)))) choice = i;
      });
      const d = choice < 0 ? 0 : await probe(weights, t, choice);
      const scale = choice < 0 ? 0 : d / t.error[choice]!;
      rows.push({ unit: t.unit.name, choice: Math.max(0, choice), weightError: choice < 0 ? 0 : t.error[choice]!, distortion: d, scale });
      distortion.push(t.error.map((e) => scale * e));
    }
  } finally {
    adapter.dispose(work as never);
  }
  return { distortion, rows, exhaustive, samples: samples.count };
}

/**
 * The allocation path, smallest estimated size first, each point on the lower convex hull of (bits, distortion):
 * λ swept over 10^-12…10^6 (distortion per bit), duplicates dropped.
 */
export function allocationPath(tables: Pick<UnitTable, 'bits'>[], distortion: number[][]): PathPoint[] {
  const point = (picks: number[]): PathPoint => ({
    picks,
    distortion: picks.reduce((a, c, u) => a + distortion[u]![c]!, 0),
    bits: picks.reduce((a, c, u) => a + tables[u]!.bits[c]!, 0),
  });
  const seen = new Map<string, PathPoint>();
  for (let k = -96; k <= 48; k++) {
    const lambda = 10 ** (k / 8);
    const picks = tables.map((t, u) => {
      let best = 0;
      let bestCost = Infinity;
      distortion[u]!.forEach((d, c) => {
        const cost = d + lambda * t.bits[c]!;
        if (cost < bestCost - 1e-18 || (Math.abs(cost - bestCost) <= 1e-18 && t.bits[c]! < t.bits[best]!)) { best = c; bestCost = cost; }
      });
      return best;
    });
    seen.set(picks.join(','), point(picks));
  }
  // The smallest and the untouched ends, whatever λ reached.
  seen.set('min', point(tables.map((t) => t.bits.indexOf(Math.min(...t.bits)))));
  const path = [...seen.values()].sort((a, b) => a.bits - b.bits || b.distortion - a.distortion);
  // Keep only points that buy distortion with bits (the hull): a bigger point must predict less distortion.
  const out: PathPoint[] = [];
  for (const p of path) {
    if (out.length && p.distortion >= out.at(-1)!.distortion) continue;
    if (out.some((q) => q.picks.join() === p.picks.join())) continue;
    out.push(p);
  }
  return out;
}
