import { ShrinkmlError } from '../../core/errors.js';
import { entropy } from './entropy.js';
import { minmax } from './minmax.js';
import { movingAverage } from './moving-average.js';
import { mse } from './mse.js';
import { percentile } from './percentile.js';
import type { Observer, ObserverFactory, ObserverName, ObserverOptions } from './types.js';

/** Every activation observer. Adding one = one file + one line here (and its name in ObserverName). */
export const OBSERVERS: readonly ObserverFactory[] = [minmax, movingAverage, percentile, entropy, mse];

export const OBSERVER_NAMES = OBSERVERS.map((o) => o.name) as readonly ObserverName[];

export function isObserverName(name: unknown): name is ObserverName {
  return typeof name === 'string' && OBSERVERS.some((o) => o.name === name);
}

export function createObserver(name: string, options?: ObserverOptions): Observer {
  const factory = OBSERVERS.find((o) => o.name === name);
  if (!factory) {
    throw new ShrinkmlError('BAD_INPUT', `unknown observer '${name}'`, {
      subject: '--observer', suggestion: `use one of ${OBSERVER_NAMES.join(', ')}`,
    });
  }
  return factory.create(options);
}

export { StreamingHistogram } from './histogram.js';
export { klDivergence, bestClipBins } from './entropy.js';
export { clipError } from './mse.js';
export type { Observer, ObserverFactory, ObserverName, ObserverOptions, Range } from './types.js';
