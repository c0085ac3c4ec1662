import * as tf from '@tensorflow/tfjs';
import { histogram, Histogram } from '../../../kernels/index.js';
import { histogramRef } from '../../../kernels/histogram/index.js';
import { ensureKernel } from '../../runtime/execution.js';
import type { Range } from './types.js';

/** Counts of x over [min, max] (max > min) on the Histogram kernel, or on the CPU where the backend has none. */
async function countsOf(x: tf.Tensor, bins: number, min: number, max: number): Promise<ArrayLike<number>> {
  if (ensureKernel(Histogram)) {
    const h = histogram({ x, bins, min, max });
    try {
      return await h.data();
    } finally {
      h.dispose();
    }
  }
  return histogramRef(await x.data(), { bins, min, max });
}

/**
 * A fixed number of equal bins over a range that grows with the data: when a batch falls outside, the range is
 * widened to cover it and the old counts are spread over the new bins in proportion to overlap (as PyTorch's
 * HistogramObserver does), so memory stays `bins` numbers however many batches come.
 */
export class StreamingHistogram {
  counts: Float64Array;
  lo = 0;
  hi = 0;
  total = 0;
  private started = false;

  constructor(readonly bins: number) {
    this.counts = new Float64Array(bins);
  }

  get width(): number {
    return (this.hi - this.lo) / this.bins;
  }

  /** Adds a batch whose min/max (`r`) the caller already read. */
  async add(x: tf.Tensor, r: Range): Promise<void> {
    if (!this.started) {
      this.lo = r.min;
      this.hi = r.max;
      this.started = true;
    } else if (r.min < this.lo || r.max > this.hi) {
      this.rebin(Math.min(this.lo, r.min), Math.max(this.hi, r.max));
    }
    this.total += x.size;
    if (this.hi === this.lo) {
      this.counts[0]! += x.size;
      return;
    }
    const c = await countsOf(x, this.bins, this.lo, this.hi);
    for (let i = 0; i < this.bins; i++) this.counts[i]! += c[i]!;
  }

  private rebin(lo: number, hi: number): void {
    const old = this.counts;
    const oldLo = this.lo;
    const oldWidth = this.width;
    const width = (hi - lo) / this.bins;
    this.counts = new Float64Array(this.bins);
    const at = (v: number) => Math.min(this.bins - 1, Math.max(0, Math.floor((v - lo) / width)));
    for (let j = 0; j < this.bins; j++) {
      const n = old[j]!;
      if (n === 0) continue;
      const start = oldLo + j * oldWidth;
      const end = start + oldWidth;
      if (oldWidth === 0) {
        this.counts[at(start)]! += n;
        continue;
      }
      for (let i = at(start); i <= at(end); i++) {
        const overlap = Math.min(end, lo + (i + 1) * width) - Math.max(start, lo + i * width);
        if (overlap > 0) this.counts[i]! += (n * overlap) / oldWidth;
      }
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** The value below which a fraction `f` of the mass lies, interpolating linearly inside a bin. */
  quantile(f: number): number {
    const target = f * this.total;
    let cum = 0;
    for (let i = 0; i < this.bins; i++) {
      const n = this.counts[i]!;
      if (n > 0 && cum + n >= target) return this.lo + this.width * (i + Math.max(0, target - cum) / n);
      cum += n;
    }
    return this.hi;
  }
}
