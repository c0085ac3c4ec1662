import type * as tf from '@tensorflow/tfjs';
import type { ProgressFn } from '../core/progress.js';
import type { Dataset } from '../data/types.js';
import { trainSeeded, type TrainHistory, type TrainSeededOptions } from '../train/index.js';
import type { PruningCallback } from './callback.js';

/** A training loop with seeded batching; `trainSeeded` from src/train unless a test injects another. */
export type Trainer = (options: TrainSeededOptions) => Promise<TrainHistory>;

export interface FinetuneOptions {
  epochs: number;
  train: Dataset;
  validation?: Dataset;
  batchSize?: number;
  seed?: number;
  /** For a model without an optimizer (a loaded or newly built one); trainSeeded's default otherwise. */
  learningRate?: number;
  /** Learning rate per epoch (0-based), e.g. a cosine decay; passed to trainSeeded. */
  learningRateSchedule?: (epoch: number) => number;
  trainer?: Trainer;
}

/**
 * Fine-tune after pruning. With a pruning callback the masks are held (and updated on its schedule) across
 * every batch, so pruned weights stay exactly zero; trainSeeded has no batch-begin hook, so the mask update
 * for step s+1 runs at the end of step s, which is the same point in time.
 */
export async function finetune(model: tf.LayersModel, options: FinetuneOptions, callback?: PruningCallback, onProgress?: ProgressFn): Promise<TrainHistory> {
  const trainer = options.trainer ?? trainSeeded;
  if (callback) {
    callback.setModel(model);
    await callback.begin();
  }
  return trainer({
    model, train: options.train, validation: options.validation, epochs: options.epochs,
    batchSize: options.batchSize ?? 128, seed: options.seed ?? 0, learningRate: options.learningRate,
    schedule: options.learningRateSchedule, onProgress, callbacks: callback ? { onBatchEnd: () => callback.afterBatch() } : undefined,
  });
}
