import { argmax } from './rows.js';
import type { Metric } from './types.js';

/** Top-1 accuracy against labels, as a fraction in [0, 1]. */
export const accuracy: Metric = {
  name: 'accuracy',
  description: 'top-1 accuracy on labelled data',
  needs: 'labels',
  higherIsBetter: true,
  create() {
    let correct = 0;
    let n = 0;
    return {
      collect({ output, labels, rows, cols }) {
        if (!labels) throw new Error('metric accuracy needs labels');
        for (let i = 0; i < rows; i++) if (argmax(output, i, cols) === labels[i]) correct++;
        n += rows;
      },
      compute: () => (n ? correct / n : NaN),
    };
  },
};
