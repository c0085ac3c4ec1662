/**
 * Mark exactly `k` lowest scores. Ties at the threshold are broken by index (lower index is pruned first), so
 * the count is exact even when many weights share a magnitude (e.g. already-zero weights).
 * Returns a keep-mask: 1 = kept, 0 = pruned.
 */
export function keepAllButLowest(scores: Float32Array, k: number): Uint8Array {
  const n = scores.length;
  const keep = new Uint8Array(n).fill(1);
  if (k <= 0) return keep;
  if (k >= n) return keep.fill(0);
  const sorted = Float32Array.from(scores).sort();
  const threshold = sorted[k - 1];
  let below = 0;
  for (let i = 0; i < n; i++) if (scores[i] < threshold) below++;
  let atThreshold = k - below;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (s < threshold) keep[i] = 0;
    else if (s === threshold && atThreshold > 0) { keep[i] = 0; atThreshold--; }
  }
  return keep;
}

/** Number of weights to remove for a target sparsity: rounded, so 90% of 1000 is exactly 900. */
export function countToPrune(size: number, sparsity: number): number {
  return Math.min(size, Math.max(0, Math.round(size * sparsity)));
}
