import { requireReference } from './rows.js';
import type { Metric } from './types.js';

/**
 * Mean over samples of the cosine similarity of the raw output vectors (no softmax). Two zero vectors count as
 * identical (1); one zero vector against a non-zero one as unrelated (0).
 */
export const cosine: Metric = {
  name: 'cosine',
  description: 'mean cosine similarity of output vectors',
  needs: 'reference',
  higherIsBetter: true,
  create() {
    let sum = 0;
    let n = 0;
    return {
      collect(batch) {
        const ref = requireReference('cosine', batch);
        const { output, rows, cols } = batch;
        for (let i = 0; i < rows; i++) {
          let dot = 0, na = 0, nb = 0;
          for (let j = i * cols; j < (i + 1) * cols; j++) {
            dot += output[j] * ref[j];
            na += output[j] * output[j];
            nb += ref[j] * ref[j];
          }
          sum += na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
        }
        n += rows;
      },
      compute: () => (n ? sum / n : NaN),
    };
  },
};
