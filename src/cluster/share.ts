import { ShrinkmlError } from '../core/errors.js';
import { kmeans1d, nearestCentroid } from './kmeans.js';

/**
 * One weight tensor under weight sharing: every value is `codebook[indices[i]]`. When the tensor had exact zeros
 * (pruned weights), code 0 is reserved for 0.0 and stays 0.0 through fine-tuning, so pruned weights stay pruned.
 */
export interface ClusteredWeight {
  /** Manifest name, e.g. `dense_Dense1/kernel`. */
  name: string;
  shape: number[];
  codebook: Float32Array;
  indices: Uint8Array;
  /** Bits per index: ceil(log2(codebook size)), at least 1, at most 6. */
  bits: number;
  /** Code 0 is the pinned 0.0 of pruned weights. */
  zeroCode: boolean;
}

export const MIN_CLUSTERS = 2;
export const MAX_CLUSTERS = 64;

export function bitsFor(codes: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(2, codes))));
}

/** k-means over the non-zero values (zeros get the reserved code 0) with at most `clusters` codes in all. */
export function clusterValues(options: { name: string; shape: number[]; values: Float32Array; clusters: number }): ClusteredWeight {
  const { name, values, clusters } = options;
  if (!Number.isInteger(clusters) || clusters < MIN_CLUSTERS || clusters > MAX_CLUSTERS) {
    throw new ShrinkmlError('BAD_INPUT', `weight '${name}': clusters must be a whole number in [${MIN_CLUSTERS}, ${MAX_CLUSTERS}], got ${clusters}`, {
      subject: name, suggestion: 'use 16–64 (4–6 bit indices)',
    });
  }
  let zeros = 0;
  for (const v of values) if (v === 0) zeros++;
  const zeroCode = zeros > 0;
  const nonzero = new Float32Array(values.length - zeros);
  let j = 0;
  for (const v of values) if (v !== 0) nonzero[j++] = v;
  const { centroids } = kmeans1d(nonzero, zeroCode ? clusters - 1 : clusters);
  const offset = zeroCode ? 1 : 0;
  const codebook = new Float32Array(centroids.length + offset);
  codebook.set(centroids, offset);
  const indices = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    indices[i] = v === 0 && zeroCode ? 0 : nearestCentroid(centroids, v) + offset;
  }
  return { name, shape: [...options.shape], codebook, indices, bits: bitsFor(codebook.length), zeroCode };
}

/** The dense values a clustered weight stands for. */
export function expandClustered(w: Pick<ClusteredWeight, 'codebook' | 'indices'>): Float32Array {
  const out = new Float32Array(w.indices.length);
  for (let i = 0; i < out.length; i++) out[i] = w.codebook[w.indices[i]!]!;
  return out;
}

/**
 * Shared-centroid update after an optimizer step: each centroid becomes the mean of its members' updated values
 * (the members moved by their own gradients; their mean moves by the mean gradient, Deep Compression's centroid
 * update up to the learning-rate scale), the pinned zero stays 0. Updates `w.codebook`; returns the expanded values.
 */
export function shareCentroids(w: ClusteredWeight, values: Float32Array): Float32Array {
  const k = w.codebook.length;
  const sums = new Float64Array(k);
  const counts = new Uint32Array(k);
  for (let i = 0; i < values.length; i++) {
    const c = w.indices[i]!;
    sums[c] += values[i]!;
    counts[c]++;
  }
  for (let c = 0; c < k; c++) if (counts[c]) w.codebook[c] = sums[c]! / counts[c]!;
  if (w.zeroCode) w.codebook[0] = 0;
  return expandClustered(w);
}
