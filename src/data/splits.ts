import { ShrinkmlError } from '../core/errors.js';
import { seededSample } from './random.js';
import type { RawSet, RawSource, Split } from './types.js';

/**
 * The fixed, documented splits. For a source with a training and a test file set (MNIST, Fashion-MNIST, an IDX
 * folder with train-* and t10k-* or test-* files):
 * - train:       the training set minus its last twelfth (MNIST: the first 55,000 of 60,000);
 * - validation:  the last twelfth of the training set (MNIST: the last 5,000);
 * - calibration: a seeded random sample of the train split (default 1,000), never from validation or test;
 * - test:        the whole test set (MNIST: 10,000), for reported accuracy only.
 * A single-set source (one .npy pair, one IDX pair) serves every split whole; calibration is then a seeded sample
 * of it.
 */
export const VALIDATION_FRACTION = 1 / 12;
export const CALIBRATION_SEED = 20240601;
export const DEFAULT_CALIBRATION_SIZE = 1000;

export interface SplitSelection {
  set: RawSet;
  /** Sample indices into `set`, in order. */
  indices: Int32Array;
}

const range = (from: number, to: number) => Int32Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** The number of training samples kept for the train split (the rest is validation). */
export function trainSplitSize(trainCount: number): number {
  return trainCount - Math.round(trainCount * VALIDATION_FRACTION);
}

export function selectSplit(opts: { source: RawSource; split: Split; limit?: number; calibrationSeed?: number; name: string }): SplitSelection {
  const { source, split, name } = opts;
  const limit = opts.limit ?? Infinity;
  if (!(limit >= 1) || (Number.isFinite(limit) && !Number.isInteger(limit))) {
    throw new ShrinkmlError('BAD_INPUT', `${name}: limit must be a positive integer, got ${opts.limit}`, { subject: '--limit' });
  }
  const seed = opts.calibrationSeed ?? CALIBRATION_SEED;
  const cap = (idx: Int32Array) => (idx.length > limit ? idx.slice(0, limit) : idx);
  if (source.kind === 'single') {
    const n = source.set.count;
    const indices = split === 'calibration'
      ? seededSample(n, calibrationSize(limit), seed)
      : cap(range(0, n));
    return { set: source.set, indices };
  }
  const trainEnd = trainSplitSize(source.train.count);
  switch (split) {
    case 'train': return { set: source.train, indices: cap(range(0, trainEnd)) };
    case 'validation': return { set: source.train, indices: cap(range(trainEnd, source.train.count)) };
    case 'calibration': return { set: source.train, indices: seededSample(trainEnd, calibrationSize(limit), seed) };
    case 'test': return { set: source.test, indices: cap(range(0, source.test.count)) };
  }
}

/** Without a limit the calibration sample has DEFAULT_CALIBRATION_SIZE samples; a limit sets the size (up to the split). */
function calibrationSize(limit: number): number {
  return Number.isFinite(limit) ? limit : DEFAULT_CALIBRATION_SIZE;
}
