import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../core/errors.js';
import { StreamingHistogram } from './histogram.js';
import { batchRange, SeenRange } from './read.js';
import type { Observer, ObserverFactory, ObserverOptions, Range } from './types.js';

/** Clips at the p-th and (100 − p)-th percentiles of a streaming histogram. */
class PercentileObserver implements Observer {
  readonly name = 'percentile' as const;
  private readonly seen = new SeenRange();
  private readonly hist: StreamingHistogram;

  constructor(private readonly p: number, bins: number) {
    this.hist = new StreamingHistogram(bins);
  }

  async collect(batch: tf.Tensor): Promise<void> {
    const r = await batchRange(batch, this.name);
    this.seen.add(r);
    await this.hist.add(batch, r);
  }

  compute(): Range {
    const seen = this.seen.require(this.name);
    const f = this.p / 100;
    // A one-sided tail (data never negative, e.g. after ReLU) keeps its bound: 0 is in the grid anyway.
    return this.seen.clamp({
      min: seen.min >= 0 ? seen.min : this.hist.quantile(1 - f),
      max: seen.max <= 0 ? seen.max : this.hist.quantile(f),
    });
  }
}

export function checkBins(bins: number, observer: string): number {
  if (!Number.isInteger(bins) || bins < 16 || bins > 65536) {
    throw new ShrinkmlError('BAD_INPUT', `observer ${observer}: bins must be an integer in [16, 65536], got ${bins}`, { subject: 'bins' });
  }
  return bins;
}

export const percentile: ObserverFactory = {
  name: 'percentile',
  description: 'clip at the 99.99th percentile (and the 0.01th below) of a streaming histogram',
  create: (o: ObserverOptions = {}) => {
    const p = o.percentile ?? 99.99;
    if (!(p > 50 && p <= 100)) {
      throw new ShrinkmlError('BAD_INPUT', `observer percentile: percentile must be in (50, 100], got ${p}`, { subject: 'percentile' });
    }
    return new PercentileObserver(p, checkBins(o.bins ?? 2048, 'percentile'));
  },
};
