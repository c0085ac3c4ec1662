import * as tf from '@tensorflow/tfjs';

export interface EarlyStoppingOptions {
  /** What to watch. 'val_loss' (cross-entropy on the validation labels) falls; 'val_acc' rises. Default 'val_loss'. */
  monitor?: 'val_loss' | 'val_acc';
  /** Epochs without improvement before stopping. Default 3 (DISTILL_DEFAULTS.patience). */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /**
   * Put back the weights of the best epoch at the end. Default false: with a pruning callback the best epoch may
   * predate the final sparsity, and restoring it would silently undo pruning.
   */
  restoreBestWeights?: boolean;
}

/** Tracks the monitored value across epochs; owns a snapshot of the best weights when asked to restore them. */
export class EarlyStopper {
  readonly monitor: 'val_loss' | 'val_acc';
  private readonly patience: number;
  private readonly minDelta: number;
  private readonly restore: boolean;
  private best = NaN;
  private wait = 0;
  private snapshot: tf.Tensor[] | null = null;
  bestEpoch: number | null = null;

  constructor(options: EarlyStoppingOptions, defaultPatience: number) {
    this.monitor = options.monitor ?? 'val_loss';
    this.patience = options.patience ?? defaultPatience;
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.restore = options.restoreBestWeights ?? false;
  }

  get bestValue(): number { return this.best; }

  /** Records one epoch; returns true when training should stop. */
  update(epoch: number, value: number, model: tf.LayersModel): boolean {
    const better = Number.isNaN(this.best) ||
      (this.monitor === 'val_loss' ? value < this.best - this.minDelta : value > this.best + this.minDelta);
    if (better) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restore) {
        tf.dispose(this.snapshot ?? []);
        this.snapshot = model.getWeights().map((w) => w.clone());
      }
      return false;
    }
    this.wait += 1;
    return this.wait >= this.patience;
  }

  /** Restores the best weights if asked to, and frees the snapshot. */
  finish(model: tf.LayersModel): boolean {
    const restored = this.snapshot !== null;
    if (this.snapshot) model.setWeights(this.snapshot);
    this.dispose();
    return restored;
  }

  /** Frees the snapshot without restoring it (error paths). */
  dispose(): void {
    tf.dispose(this.snapshot ?? []);
    this.snapshot = null;
  }
}
