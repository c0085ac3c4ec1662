import type * as tf from '@tensorflow/tfjs';
import { StreamingHistogram } from './histogram.js';
import { checkBins } from './percentile.js';
import { batchRange, SeenRange } from './read.js';
import type { Observer, ObserverFactory, ObserverOptions, Range } from './types.js';

/** Activations use the 256 codes of int8 (asymmetric, full range). */
const STEPS = 255;

/**
 * Expected squared error of quantizing the histogram's mass to [lo, hi] with STEPS steps: values inside pay the
 * rounding noise step²/12 (uniform within a step), values outside pay their squared distance to the clip.
 */
export function clipError(h: Pick<StreamingHistogram, 'counts' | 'lo' | 'width'>, lo: number, hi: number): number {
  const step = (hi - lo) / STEPS;
  const noise = (step * step) / 12;
  let err = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const n = h.counts[i]!;
    if (n === 0) continue;
    const c = h.lo + (i + 0.5) * h.width;
    const d = c < lo ? lo - c : c > hi ? c - hi : 0;
    err += n * (d > 0 ? d * d : noise);
  }
  return err;
}

/** Shrinks the observed range (widened to contain 0) by the factor in [0.05, 1] that minimises clipError. */
class MseObserver implements Observer {
  readonly name = 'mse' as const;
  private readonly seen = new SeenRange();
  private readonly hist: StreamingHistogram;

  constructor(bins: number) {
    this.hist = new StreamingHistogram(bins);
  }

  async collect(batch: tf.Tensor): Promise<void> {
    const r = await batchRange(batch, this.name);
    this.seen.add(r);
    await this.hist.add(batch, r);
  }

  compute(): Range {
    const seen = this.seen.require(this.name);
    const lo = Math.min(seen.min, 0);
    const hi = Math.max(seen.max, 0);
    if (hi === lo) return seen;
    let best = 1;
    let bestErr = Infinity;
    for (let k = 100; k >= 5; k--) {
      const a = k / 100;
      const err = clipError(this.hist, a * lo, a * hi);
      if (err < bestErr) { bestErr = err; best = a; }
    }
    return this.seen.clamp({ min: best * lo, max: best * hi });
  }
}

export const mse: ObserverFactory = {
  name: 'mse',
  description: 'the clip of the observed range that minimises the expected squared quantization error',
  create: (o: ObserverOptions = {}) => new MseObserver(checkBins(o.bins ?? 2048, 'mse')),
};
