/**
 * How much a weight or a channel matters; the lowest scores are pruned first. One criterion per file, listed in
 * ./index.ts.
 */
export interface ImportanceCriterion {
  name: string;
  description: string;
  /** Per-weight scores for unstructured pruning (same length as `values`). */
  elementScores(values: Float32Array, random: () => number): Float32Array;
  /**
   * Per-channel scores for structured pruning. `slices[p][c]` holds every weight that producer p has for channel c
   * (a filter, a Dense column); a channel's score combines all producers of its group.
   */
  channelScores(slices: Float32Array[][], channels: number, random: () => number): Float32Array;
}
