import type { ImportanceCriterion } from './types.js';

/** A baseline: any criterion worth using must beat pruning at random. */
export const random: ImportanceCriterion = {
  name: 'random',
  description: 'seeded uniform random scores, a baseline for benchmarks',
  elementScores: (values, rnd) => values.map(() => rnd()),
  channelScores: (_slices, channels, rnd) => Float32Array.from({ length: channels }, () => rnd()),
};
