import { argmax, requireReference } from './rows.js';
import type { Metric } from './types.js';

/** Fraction of samples whose top-1 class equals the reference model's (softmax keeps the argmax, so logits do). */
export const agreement: Metric = {
  name: 'agreement',
  description: 'top-1 agreement with the reference model',
  needs: 'reference',
  higherIsBetter: true,
  classScores: true,
  create() {
    let same = 0;
    let n = 0;
    return {
      collect(batch) {
        const ref = requireReference('agreement', batch);
        for (let i = 0; i < batch.rows; i++) if (argmax(batch.output, i, batch.cols) === argmax(ref, i, batch.cols)) same++;
        n += batch.rows;
      },
      compute: () => (n ? same / n : NaN),
    };
  },
};
