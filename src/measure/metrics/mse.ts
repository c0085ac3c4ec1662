import { requireReference } from './rows.js';
import type { Metric, MetricAccumulator, MetricBatch } from './types.js';

export interface ErrorSums {
  /** Σ (output − reference)² */
  sq: number;
  /** Elements seen. */
  count: number;
  /** The largest |reference| seen (psnr's peak). */
  peak: number;
}

/** Running sums shared by mse and psnr; `compute` is the MSE. */
export function errorAccumulator(name: string): MetricAccumulator & { sums: ErrorSums } {
  const sums: ErrorSums = { sq: 0, count: 0, peak: 0 };
  return {
    sums,
    collect(batch: MetricBatch) {
      const ref = requireReference(name, batch);
      const n = batch.rows * batch.cols;
      for (let k = 0; k < n; k++) {
        const d = batch.output[k] - ref[k];
        sums.sq += d * d;
        sums.peak = Math.max(sums.peak, Math.abs(ref[k]));
      }
      sums.count += n;
    },
    compute: () => (sums.count ? sums.sq / sums.count : NaN),
  };
}

/** Mean squared error over every output element, raw outputs (no softmax). */
export const mse: Metric = {
  name: 'mse',
  description: 'mean squared error of outputs against the reference',
  needs: 'reference',
  higherIsBetter: false,
  create: () => errorAccumulator('mse'),
};
