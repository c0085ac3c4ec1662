import { batchRange, SeenRange } from './read.js';
import type { Observer, ObserverFactory } from './types.js';

/** The exact min and max over every batch. */
class MinMaxObserver implements Observer {
  readonly name = 'minmax' as const;
  private readonly seen = new SeenRange();

  async collect(batch: import('@tensorflow/tfjs').Tensor): Promise<void> {
    this.seen.add(await batchRange(batch, this.name));
  }

  compute() {
    return this.seen.require(this.name);
  }
}

export const minmax: ObserverFactory = {
  name: 'minmax',
  description: 'exact min and max over all calibration batches',
  create: () => new MinMaxObserver(),
};
