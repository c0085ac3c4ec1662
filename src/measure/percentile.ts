/**
 * Nearest-rank percentile: sort ascending, take the value at rank ceil(p/100 · N) (1-based, at least 1).
 * Chosen because it always returns an observed sample (no interpolation between two timings), which is what a
 * latency budget such as `p95<=5ms` should be checked against. p=50 on [1,2,3,4] gives 2; p=95 on 20 values gives
 * the 19th.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile p must be in (0, 100], got ${p}`);
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export interface Summary {
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** p50/p95 (nearest-rank), mean, min and max of a non-empty list. */
export function summarize(values: ArrayLike<number>): Summary {
  if (values.length === 0) throw new RangeError('summary of an empty list');
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { p50: percentile(values, 50), p95: percentile(values, 95), mean: sum / values.length, min, max };
}
