import { ShrinkmlError } from '../core/errors.js';
import { loadData } from '../data/index.js';
import type { DataFeed, Dataset, Split } from '../data/types.js';

export interface PipelineDataOptions {
  /** A built-in dataset name or a path, as `--data` takes it. */
  source: string;
  /** Training samples used by fine-tuning, distillation and QAT (the first n of the train split); default all. */
  trainLimit?: number;
  /** Validation samples used to score search trials and sensitivity; default all (MNIST: 5,000). */
  validationLimit?: number;
  /** Calibration samples for static quantization; default the data module's (1,000). */
  calibrationSamples?: number;
  /** Several sources and image folders, resolved against the model (src/data/sources.ts). */
  feed?: DataFeed;
}

/**
 * Samples a pipeline holds out for calibration from a single-set source (a folder of images, one .npy): the rest is
 * split into validation and test, so a search never chooses, nor a report judges, on the samples that calibrated
 * the candidate (data/splits.ts; a set under 3× this size serves every split whole, as before). 64 is what the
 * calibrated graph weight modes use (steps/graph.ts); `calibrationSamples` in the config sets it.
 */
export const CALIBRATION_HOLD_OUT = 64;

/** What a run read, for the lineage: every split actually loaded and how many samples it had. */
export interface DataUse {
  source: string;
  splits: Partial<Record<Split, number>>;
}

/**
 * Loads each split at most once, only when a step asks for it, so a pipeline without training never reads the
 * training set. Steps never see the test split: it is for the final, reported measurement only.
 */
export class DataProvider {
  private readonly cache = new Map<Split, Promise<Dataset>>();
  private readonly used: DataUse['splits'] = {};

  constructor(readonly options: PipelineDataOptions | undefined) {}

  /** The calibration hold-out of a single-set source (see CALIBRATION_HOLD_OUT); pass it to every loadData of this run. */
  get holdOut(): number {
    return this.options?.calibrationSamples ?? CALIBRATION_HOLD_OUT;
  }

  get available(): boolean {
    return this.options !== undefined;
  }

  async get(split: Exclude<Split, 'test'>, who: string): Promise<Dataset> {
    if (!this.options) {
      throw new ShrinkmlError('BAD_INPUT', `${who} needs ${split} data and none was given`, {
        subject: '--data', suggestion: 'add --data mnist (or your own data)',
      });
    }
    const limit = split === 'train' ? this.options.trainLimit
      : split === 'validation' ? this.options.validationLimit : this.options.calibrationSamples;
    let pending = this.cache.get(split);
    if (!pending) {
      pending = loadData({ source: this.options.source, split, limit, holdOut: this.holdOut, feed: this.options.feed });
      this.cache.set(split, pending);
      pending.catch(() => this.cache.delete(split));
    }
    const data = await pending;
    this.used[split] = data.count;
    return data;
  }

  describe(): DataUse | undefined {
    return this.options ? { source: this.options.source, splits: { ...this.used } } : undefined;
  }
}
