import { ShrinkmlError } from '../../core/errors.js';
import { accuracy } from './accuracy.js';
import { agreement } from './agreement.js';
import { cosine } from './cosine.js';
import { meanKl } from './meanKl.js';
import { mse } from './mse.js';
import { psnr } from './psnr.js';
import type { Metric } from './types.js';

/** The metric registry: adding one is a file in this folder and a line here. */
export const METRICS: readonly Metric[] = [accuracy, agreement, meanKl, cosine, mse, psnr];

export function getMetric(name: string): Metric {
  const found = METRICS.find((m) => m.name === name);
  if (!found) {
    throw new ShrinkmlError('BAD_INPUT', `unknown metric '${name}'`, {
      subject: 'metrics', suggestion: `use one of ${METRICS.map((m) => m.name).join(', ')}`,
    });
  }
  return found;
}

export { argmax, isProbabilities, toProbabilities } from './rows.js';
export type { Metric, MetricAccumulator, MetricBatch } from './types.js';
