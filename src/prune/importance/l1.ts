import type { ImportanceCriterion } from './types.js';

export const l1: ImportanceCriterion = {
  name: 'l1',
  description: 'absolute value; a channel scores the sum of |w| over every producer in its group',
  elementScores: (values) => values.map(Math.abs),
  channelScores: (slices, channels) => {
    const out = new Float32Array(channels);
    for (const producer of slices) for (let c = 0; c < channels; c++) for (const v of producer[c]) out[c] += Math.abs(v);
    return out;
  },
};
