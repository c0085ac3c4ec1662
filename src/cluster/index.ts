/**
 * Weight clustering (Deep Compression's weight sharing, Han et al. 2016): per-layer 1-D k-means to 16–64 shared
 * values (≤ 6-bit indices), fine-tuned with shared centroids, pruned zeros pinned to a code of their own.
 * Stored as codebook + index streams (decoded at load by shrinkml: `withClusterDecoding`, `loadClusteredLayers`)
 * or, for zero-dependency output, expanded and written as a stock tfjs uint8 manifest.
 */
export { kmeans1d, nearestCentroid } from './kmeans.js';
export type { KMeansResult } from './kmeans.js';
export { clusterValues, expandClustered, shareCentroids, bitsFor, MIN_CLUSTERS, MAX_CLUSTERS } from './share.js';
export type { ClusteredWeight } from './share.js';
export { clusterModel, SharedCentroids } from './model.js';
export type { ClusterModelOptions, ClusterOverride } from './model.js';
export { packBits, unpackBits, packSparse, unpackSparse } from './pack.js';
export type { IndexEncoding } from './pack.js';
export {
  CLUSTER_FORMAT_VERSION, CODEBOOK_SUFFIX, INDICES_SUFFIX, chooseEncoding, decodeClusteredArtifacts, decodeIndexStream,
  encodeClusteredWeights, encodeIndexStream, hasClusteredWeights, withClusterDecoding,
} from './format.js';
export { saveClusteredModel, clusteredSummary } from './save.js';
export type { ClusteredSummary } from './save.js';
export { loadClusteredLayers } from './load.js';
