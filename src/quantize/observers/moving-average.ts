import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../core/errors.js';
import { batchRange } from './read.js';
import type { Observer, ObserverFactory, ObserverOptions, Range } from './types.js';

/** Exponential moving average of each batch's min and max: m ← m + c·(batch − m), the first batch as is. */
class MovingAverageObserver implements Observer {
  readonly name = 'moving-average' as const;
  private range: Range | undefined;

  constructor(private readonly c: number) {}

  async collect(batch: tf.Tensor): Promise<void> {
    const b = await batchRange(batch, this.name);
    this.range = this.range
      ? { min: this.range.min + this.c * (b.min - this.range.min), max: this.range.max + this.c * (b.max - this.range.max) }
      : b;
  }

  compute(): Range {
    if (!this.range) throw new ShrinkmlError('INTERNAL', `observer ${this.name}: compute() called before any collect()`);
    return { ...this.range };
  }
}

export const movingAverage: ObserverFactory = {
  name: 'moving-average',
  description: 'moving average of per-batch min and max (averaging constant 0.01)',
  create: (o: ObserverOptions = {}) => {
    const c = o.averagingConstant ?? 0.01;
    if (!(c > 0 && c <= 1)) {
      throw new ShrinkmlError('BAD_INPUT', `observer moving-average: averagingConstant must be in (0, 1], got ${c}`, { subject: 'averagingConstant' });
    }
    return new MovingAverageObserver(c);
  },
};
