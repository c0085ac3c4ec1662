import type { ImportanceCriterion } from './types.js';

export const l2: ImportanceCriterion = {
  name: 'l2',
  description: 'squared value; a channel scores the L2 norm of its weights across every producer in its group',
  elementScores: (values) => values.map((v) => v * v),
  channelScores: (slices, channels) => {
    const out = new Float32Array(channels);
    for (const producer of slices) for (let c = 0; c < channels; c++) for (const v of producer[c]) out[c] += v * v;
    return out.map(Math.sqrt);
  },
};
