import type { GraphWeight, WeightRole } from '../formats/graph/index.js';
import { kmeans1d, nearestCentroid } from './kmeans.js';

/**
 * Weight sharing over a graph model's kernels (conv/matmul/depthwise filters, embeddings): each weight's values
 * become the nearest of `clusters` k-means centroids (linear init, deterministic). Zeros left by pruning stay
 * exactly zero and are not counted as a cluster member, so the sparsity survives. In place; returns each
 * clustered weight's number of distinct values.
 */
export function clusterGraphWeights(o: { weights: GraphWeight[]; roles: Map<string, WeightRole>; clusters: number }): Map<string, number> {
  const distinct = new Map<string, number>();
  for (const w of o.weights) {
    const role = o.roles.get(w.name);
    if (!(w.values instanceof Float32Array) || !role || role.kind === 'other') continue;
    const values = Float32Array.from(w.values);
    const nonZero = values.filter((v) => v !== 0);
    if (nonZero.length === 0) continue;
    const { centroids } = kmeans1d(nonZero, o.clusters);
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) values[i] = centroids[nearestCentroid(centroids, values[i]!)]!;
    w.values = values;
    distinct.set(w.name, centroids.length);
  }
  return distinct;
}
