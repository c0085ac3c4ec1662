import type { ImageInputSpec } from './images.js';

/** The named parts of a data source. See ./splits.ts for how each is drawn. */
export type Split = 'train' | 'validation' | 'calibration' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'calibration', 'test'];

/**
 * Samples ready for a model: `x` holds `count` samples of `sampleShape` each, row-major, as float32 (pixels are
 * scaled to [0,1]). Image samples are stored height × width × channels; ./shape.ts turns them into whatever layout
 * a model's input wants.
 */
export interface Dataset {
  /** 'mnist', 'fashion-mnist', or the path the user gave. */
  name: string;
  split: Split;
  count: number;
  /** Per-sample shape without the batch dimension: [28,28,1] for images, [F] for flat features. */
  sampleShape: number[];
  x: Float32Array;
  /** Class indices; absent for unlabelled user data (fine for calibration, an error for accuracy). */
  labels?: Int32Array;
  /** Number of classes when known (10 for the built-in sets, max label + 1 for user data). */
  classes?: number;
  classNames?: string[];
  /** The files the samples came from, for messages. */
  files: string[];
  /**
   * Several data inputs (`--data name=...`, one source each): every input's samples by input name, aligned sample
   * for sample (`x` and `sampleShape` are the first's). Absent for one source, which feeds the model's data input.
   */
  inputs?: Record<string, Dataset>;
}

/**
 * How user data becomes a model's inputs beyond one array file, resolved from the model's declared inputs by
 * resolveDataFeed (./sources.ts): one source per input, and the size, channels and scaling of image folders.
 */
export interface DataFeed {
  /** `--data name=<folder|file.npy>`, one per data input; the options' `source` is then only a label. */
  sources?: Record<string, string>;
  /** Image folders by input name ('' for the single source): decoded to this size, stored HWC (./shape.ts lays them out). */
  images?: Record<string, ImageInputSpec>;
  /** Inputs whose arrays are used as stored (integer ids, not pixels to scale by 1/255). */
  asStored?: string[];
  /** `--labels y.npy` for several sources (one source takes them as `x.npy,y.npy`). */
  labels?: string;
}

/**
 * What loadData reads: a built-in set ('mnist', 'fashion-mnist') or your IDX/.npy files, which split, how many
 * samples.
 */
export interface LoadDataOptions {
  /** A built-in dataset name ('mnist', 'fashion-mnist') or a path (IDX folder, .npy file, or `inputs.npy,labels.npy`). */
  source: string;
  split: Split;
  /** Keep at most this many samples (the first ones of the split; for calibration, the sample size). */
  limit?: number;
  /** Seed of the calibration sample (default CALIBRATION_SEED). */
  calibrationSeed?: number;
  /**
   * A single-set source of at least 3× this many samples holds this many out for calibration and splits the rest
   * into validation and test (see splits.ts); ignored by sources with their own train/test sets.
   */
  holdOut?: number;
  /** Several sources, image folders (see DataFeed); without it an image folder is refused (its size is the model's). */
  feed?: DataFeed;
}

/**
 * One decoded file set before splitting: sample values as stored (uint8 pixels or floats) plus the divisor that
 * scales them into model inputs. Kept unscaled so a small `limit` does not convert a whole 60,000-image file.
 */
export interface RawSet {
  values: ArrayLike<number>;
  /** What the stored values are divided by to become model inputs: 255 for integer pixels, 1 for floats. */
  divisor: number;
  count: number;
  sampleShape: number[];
  labels?: Int32Array;
  files: string[];
}

/**
 * A data source in two parts (a training file set and a test file set, as MNIST ships) or one part (a single
 * .npy pair or IDX pair), which then serves every split whole.
 */
export type RawSource =
  | { kind: 'split'; train: RawSet; test: RawSet; classes?: number; classNames?: string[] }
  | { kind: 'single'; set: RawSet; classes?: number; classNames?: string[] };

/** A dataset shipped with (or installed beside) shrinkml. One file per dataset, listed in ./builtin/index.ts. */
export interface BuiltinDataset {
  name: string;
  description: string;
  classNames: string[];
  /** Decodes the files; throws NOT_FOUND naming the package to install when they are missing. */
  load(): Promise<RawSource>;
}
