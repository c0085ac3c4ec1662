import { errorAccumulator } from './mse.js';
import type { Metric } from './types.js';

/** PSNR in dB = 10·log10(peak² / MSE) with peak = max |reference output|; Infinity when outputs are identical. */
export const psnr: Metric = {
  name: 'psnr',
  description: 'peak signal-to-noise ratio against the reference, in dB (peak = max |reference|)',
  needs: 'reference',
  higherIsBetter: true,
  create() {
    const acc = errorAccumulator('psnr');
    return {
      collect: (batch) => acc.collect(batch),
      compute() {
        const mse = acc.compute();
        if (Number.isNaN(mse)) return NaN;
        return mse === 0 ? Infinity : 10 * Math.log10((acc.sums.peak * acc.sums.peak) / mse);
      },
    };
  },
};
