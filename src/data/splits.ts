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
 * A single-set source (one .npy pair, one IDX pair, a folder of images) serves every split whole; calibration is then
 * a seeded sample of it. With `holdOut` (the pipeline asks for it, see pipeline/data.ts) and at least three times
 * that many samples, the splits are disjoint instead: calibration is a seeded sample of `holdOut`, validation the
 * first half of the rest and test the second half — what calibrates a candidate, what chooses it and what reports
 * it are different samples (calibrating on the reported samples overstates fidelity).
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

export function selectSplit(opts: { source: RawSource; split: Split; limit?: number; calibrationSeed?: number; holdOut?: number; name: string }): SplitSelection {
  const { source, split, name } = opts;
  const limit = opts.limit ?? Infinity;
  if (!(limit >= 1) || (Number.isFinite(limit) && !Number.isInteger(limit))) {
    throw new ShrinkmlError('BAD_INPUT', `${name}: limit must be a positive integer, got ${opts.limit}`, { subject: '--limit' });
  }
  const seed = opts.calibrationSeed ?? CALIBRATION_SEED;
  const cap = (idx: Int32Array) => (idx.length > limit ? idx.slice(0, limit) : idx);
  if (source.kind === 'single') {
    const n = source.set.count;
    const held = heldOut(n, opts.holdOut, seed);
    if (held) {
      if (split === 'calibration') return { set: source.set, indices: held.calibration.slice(0, calibrationSize(Math.min(limit, held.calibration.length))) };
      const half = Math.ceil(held.rest.length / 2);
      return { set: source.set, indices: cap(split === 'test' ? held.rest.slice(half) : held.rest.slice(0, half)) };
    }
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

/** A single set's calibration hold-out and the rest (in order), when the set is large enough to split (see above). */
function heldOut(n: number, holdOut: number | undefined, seed: number): { calibration: Int32Array; rest: Int32Array } | undefined {
  if (!holdOut || holdOut < 1 || n < 3 * holdOut) return undefined;
  const calibration = seededSample(n, holdOut, seed);
  const taken = new Uint8Array(n);
  for (const i of calibration) taken[i] = 1;
  return { calibration, rest: Int32Array.from({ length: n }, (_, i) => i).filter((i) => !taken[i]) };
}
