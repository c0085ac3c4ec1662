import { fromFloat16, toFloat16 } from '../encode.js';

/**
 * Data-free symmetric quantization of a weight in groups (a channel, or an int4 block): one scale per group, codes in
 * [-qmax, qmax]. Two things beyond round-to-nearest with scale = max|w| / qmax, both without data:
 *
 * 1. **MSE-optimal scale search.** For each group, the scale minimising the group's squared error among clip ratios
 *    r·max|w|/qmax (r from 1 down to 0.3, step 0.01), then refined by least squares on the chosen codes
 *    (s = Σ w·q / Σ q², re-rounded, kept only if better). An outlier no longer stretches the grid of the whole group;
 *    r = 1 is a candidate, so the error is never above max-abs scaling.
 * 2. **Sum-preserving rounding** (`preserveSums`). Each group's codes are nudged so that Σ q·s equals Σ w to within
 *    half a step: the few values nearest a rounding boundary round the other way. A convolution's output error has a
 *    per-channel constant part Σ_j e_j·E[a_j]; after ReLU6 the inputs share a large positive mean, and on MobileNets
 *    that constant is 60–95% of the layer's error (measured on faceres), which the folded BatchNorm subtraction then
 *    amplifies. Keeping each group's sum makes that term vanish when the inputs' means are equal (exactly for a
 *    depthwise channel), at a small cost in MSE (≤ one step on a few values).
 *
 * Scales are rounded to float16 (the codes are computed with the rounded scale, so what is stored is what was
 * measured) when every max-abs scale is within float16's range, subnormals included; float32 otherwise. Subnormal
 * scales (below 2^-14, channels with max |w| < 0.0078 in int8) have a coarser grid, but the search picks among the
 * rounded candidates, and on MoveNet's eight such kernels (1–22 small channels each) the tensor's squared error moved
 * by at most 1.2% (4.67e-5 → 4.72e-5 relative) while float32 scales cost 2 bytes more per channel — 0.4% of that
 * model's int8 bytes, the difference between 3.88× and 3.9×.
 */
export interface GroupQuantized {
  codes: Int8Array;
  /** codes × scales, what the written graph computes with. */
  decoded: Float32Array;
  scales: Float32Array;
  float16: boolean;
  /** Σ (decoded − value)² over all values. */
  squaredError: number;
}

export interface GroupQuantizeOptions {
  values: Float32Array;
  /** Group of element i; groups are 0..groups-1. */
  groupOf: (i: number) => number;
  groups: number;
  qmax: number;
  /** Search clip ratios (default true); false gives plain max-abs scales (the baseline the search is checked against). */
  search?: boolean;
  preserveSums?: boolean;
}

/** float16's smallest subnormal. */
const F16_MIN = 2 ** -24;
const RATIOS = Array.from({ length: 71 }, (_, i) => 1 - i * 0.01);

export function quantizeGroups(o: GroupQuantizeOptions): GroupQuantized {
  const { values, groups, qmax } = o;
  // Group-major copy: each group's values contiguous, so the search runs over small dense arrays.
  const counts = new Int32Array(groups + 1);
  for (let i = 0; i < values.length; i++) counts[o.groupOf(i) + 1]++;
  for (let g = 0; g < groups; g++) counts[g + 1]! += counts[g]!;
  const order = new Int32Array(values.length);
  const fill = counts.slice(0, groups);
  for (let i = 0; i < values.length; i++) order[fill[o.groupOf(i)]!++] = i;
  const sorted = Float64Array.from(order, (i) => values[i]!);

  const maxAbs = new Float64Array(groups);
  for (let g = 0; g < groups; g++) for (let k = counts[g]!; k < counts[g + 1]!; k++) maxAbs[g] = Math.max(maxAbs[g]!, Math.abs(sorted[k]!));
  const ratios = o.search === false ? [1] : RATIOS;
  const float16 = maxAbs.every((m) => m === 0 || (m / qmax >= F16_MIN && m / qmax <= 65504));
  // A candidate below float16's smallest subnormal is skipped (NaN never wins); the max-abs candidate never is.
  const round = (s: number) => (float16 ? (s >= F16_MIN ? fromFloat16(toFloat16(Float32Array.of(s)))[0]! : NaN) : Math.fround(s));

  const scales = new Float32Array(groups);
  const codes = new Int8Array(values.length);
  const decoded = new Float32Array(values.length);
  let squaredError = 0;
  // Stops once the sum reaches `bound`: a candidate that cannot beat the best so far is not summed to the end
  // (the sum only grows, and a tie never wins), so the choice is the same as with full sums, at a fraction of the work.
  const error = (from: number, to: number, s: number, bound = Infinity) => {
    let e = 0;
    for (let k = from; k < to && e < bound; k++) {
      const v = sorted[k]!;
      const d = v - Math.max(-qmax, Math.min(qmax, Math.round(v / s))) * s;
      e += d * d;
    }
    return e;
  };
  for (let g = 0; g < groups; g++) {
    const from = counts[g]!;
    const to = counts[g + 1]!;
    if (maxAbs[g] === 0) { scales[g] = 1; continue; }
    let best = round(maxAbs[g]! / qmax);
    let bestError = error(from, to, best);
    for (const r of ratios) {
      const s = round((maxAbs[g]! * r) / qmax);
      const e = error(from, to, s, bestError);
      if (e < bestError) { bestError = e; best = s; }
    }
    if (o.search !== false) {
      // Least-squares refit of the scale to the chosen codes: the MSE-optimal scale for fixed codes.
      for (let it = 0; it < 2; it++) {
        let wq = 0, qq = 0;
        for (let k = from; k < to; k++) {
          const q = Math.max(-qmax, Math.min(qmax, Math.round(sorted[k]! / best)));
          wq += sorted[k]! * q;
          qq += q * q;
        }
        if (qq === 0) break;
        const s = round(wq / qq);
        if (!(s > 0)) break;
        const e = error(from, to, s, bestError);
        if (!(e < bestError)) break;
        bestError = e;
        best = s;
      }
    }
    scales[g] = best;
    for (let k = from; k < to; k++) codes[order[k]!] = Math.max(-qmax, Math.min(qmax, Math.round(sorted[k]! / best)));
    if (o.preserveSums) keepSum(sorted, order, from, to, best, qmax, codes);
  }
  for (let i = 0; i < values.length; i++) {
    decoded[i] = Math.fround(codes[i]! * scales[o.groupOf(i)]!);
    const d = decoded[i]! - values[i]!;
    squaredError += d * d;
  }
  return { codes, decoded, scales, float16, squaredError };
}

/**
 * Moves the group's codes by ±1 on the values whose rounding was closest to a tie, until Σ (w/s − q) is within
 * ±0.5: the group's sum is then kept to half a step.
 */
function keepSum(sorted: Float64Array, order: Int32Array, from: number, to: number, s: number, qmax: number, codes: Int8Array): void {
  let residual = 0;
  for (let k = from; k < to; k++) residual += sorted[k]! / s - codes[order[k]!]!;
  const flips = Math.round(residual);
  if (flips === 0) return;
  const up = flips > 0;
  // Candidates by how little a flip costs: (w/s − q) nearest +0.5 for an upward flip, −0.5 for a downward one.
  const candidates: { k: number; cost: number }[] = [];
  for (let k = from; k < to; k++) {
    const q = codes[order[k]!]!;
    if (up ? q >= qmax : q <= -qmax) continue;
    const t = sorted[k]! / s - q;
    candidates.push({ k, cost: up ? 0.5 - t : 0.5 + t });
  }
  candidates.sort((a, b) => a.cost - b.cost);
  const n = Math.min(Math.abs(flips), candidates.length);
  for (let c = 0; c < n; c++) codes[order[candidates[c]!.k]!]! += up ? 1 : -1;
}
