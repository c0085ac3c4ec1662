import { requireReference, toProbabilities } from './rows.js';
import type { Metric } from './types.js';

/** A model probability of exactly 0 where the reference has mass would make KL infinite; it is floored here. */
const FLOOR = 1e-12;

/**
 * Mean over samples of KL(reference ‖ model) = Σ p·ln(p/q) in nats, from probabilities (logits are softmaxed
 * first, see rows.ts). Terms with p = 0 contribute 0.
 */
export const meanKl: Metric = {
  name: 'meanKl',
  description: 'mean KL(reference || model) in nats',
  needs: 'reference',
  higherIsBetter: false,
  classScores: true,
  create() {
    let sum = 0;
    let n = 0;
    return {
      collect(batch) {
        const { rows, cols } = batch;
        const p = toProbabilities(requireReference('meanKl', batch), rows, cols);
        const q = toProbabilities(batch.output, rows, cols);
        for (let k = 0; k < rows * cols; k++) if (p[k] > 0) sum += p[k] * Math.log(p[k] / Math.max(q[k], FLOOR));
        n += rows;
      },
      compute: () => (n ? sum / n : NaN),
    };
  },
};
