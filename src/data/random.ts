/**
 * Seeded randomness for data: calibration samples and batch order (the generator itself lives in src/core).
 */
import { mulberry32 } from '../core/random.js';

export { mulberry32 };

/**
 * Derives an independent 32-bit seed from a base seed and a stream index (epoch, layer), so that neighbouring
 * streams do not share a prefix the way seed and seed+1 would with a weak mixer.
 */
export function deriveSeed(seed: number, stream: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((stream + 1) >>> 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The first `count` entries of a seeded Fisher-Yates shuffle of 0..n-1. Because the shuffle fills the prefix
 * first, a smaller `count` with the same seed is always a prefix of a larger one (a calibration set of 100 is the
 * first 100 of the set of 1,000).
 */
export function seededSample(n: number, count: number, seed: number): Int32Array {
  const k = Math.min(Math.max(0, Math.floor(count)), n);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rand = mulberry32(seed);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm.slice(0, k);
}

/** A seeded permutation of 0..n-1. */
export function seededPermutation(n: number, seed: number): Int32Array {
  return seededSample(n, n, seed);
}
