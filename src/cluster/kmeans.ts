/**
 * One-dimensional k-means for weight sharing. Deep Compression (Han et al. 2016, section 3.1) found linear
 * initialisation — centroids spaced evenly over [min, max] — best, because it keeps a few centroids on the large
 * weights that matter most; it is also deterministic, so no seed is involved.
 *
 * In 1-D each cluster is an interval of the sorted values, so an iteration costs O(k log n) with prefix sums.
 */
export interface KMeansResult {
  /** Ascending, each the mean of its members (an empty cluster keeps its previous position). */
  centroids: Float64Array;
  iterations: number;
}

/** First index i in sorted `a` with a[i] >= x. */
function lowerBound(a: Float64Array | Float32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function kmeans1d(values: ArrayLike<number>, k: number, maxIterations = 50): KMeansResult {
  const n = values.length;
  if (n === 0) return { centroids: new Float64Array(0), iterations: 0 };
  const sorted = Float64Array.from(values).sort();
  const distinct = countDistinct(sorted);
  if (distinct <= k) return { centroids: uniqueValues(sorted), iterations: 0 };
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + sorted[i]!;
  const lo = sorted[0]!;
  const hi = sorted[n - 1]!;
  let c = Float64Array.from({ length: k }, (_, j) => lo + ((hi - lo) * j) / (k - 1));
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const next = new Float64Array(k);
    let start = 0;
    for (let j = 0; j < k; j++) {
      const end = j === k - 1 ? n : lowerBound(sorted, (c[j]! + c[j + 1]!) / 2);
      next[j] = end > start ? (prefix[end]! - prefix[start]!) / (end - start) : c[j]!;
      start = Math.max(start, end);
    }
    let moved = 0;
    for (let j = 0; j < k; j++) moved = Math.max(moved, Math.abs(next[j]! - c[j]!));
    c = next;
    if (moved <= 1e-9 * Math.max(1, hi - lo)) break;
  }
  return { centroids: c, iterations };
}

/** Index of the nearest centroid (ascending centroids; ties go to the lower one). */
export function nearestCentroid(centroids: Float64Array | Float32Array, v: number): number {
  const i = lowerBound(centroids, v);
  if (i === 0) return 0;
  if (i === centroids.length) return centroids.length - 1;
  return v - centroids[i - 1]! <= centroids[i]! - v ? i - 1 : i;
}

function countDistinct(sorted: Float64Array): number {
  let d = sorted.length ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) d++;
  return d;
}

function uniqueValues(sorted: Float64Array): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(sorted[i]!);
  return Float64Array.from(out);
}
