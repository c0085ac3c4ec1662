import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import { batches } from '../data/batches.js';
import { deriveSeed, seededPermutation } from '../data/random.js';
import type { Dataset } from '../data/types.js';
import { evaluateAccuracy, modelInputShape } from './evaluate.js';
import { yieldToEventLoop } from '../core/yield.js';

export interface EpochLog {
  /** 0-based. */
  epoch: number;
  /** Mean training loss over the epoch's samples. */
  loss: number;
  /** Mean training accuracy (NaN when the model was compiled without an accuracy metric). */
  acc: number;
  valAcc?: number;
  learningRate?: number;
  seconds: number;
}

export interface TrainHistory {
  epochs: EpochLog[];
  seed: number;
  batchSize: number;
  /** True when a callback asked to stop before the last epoch. */
  stopped: boolean;
}

export interface TrainCallbacks {
  onBatchEnd?(log: { epoch: number; batch: number; loss: number }): void | Promise<void>;
  /** Return 'stop' to end training after this epoch. */
  onEpochEnd?(log: EpochLog): void | 'stop' | Promise<void | 'stop'>;
}

export interface TrainSeededOptions {
  /** Compiled with a loss that takes one-hot targets (categoricalCrossentropy); an uncompiled model gets Adam. */
  model: tf.LayersModel;
  train: Dataset;
  validation?: Dataset;
  epochs: number;
  batchSize: number;
  /** Seeds the batch order; each epoch uses its own permutation derived from it. */
  seed: number;
  /** Learning rate for an uncompiled model (default 1e-3). */
  learningRate?: number;
  /** Learning rate per epoch (0-based), applied to the optimizer before the epoch. */
  schedule?: (epoch: number) => number;
  onProgress?: ProgressFn;
  callbacks?: TrainCallbacks;
  signal?: AbortSignal;
}

/** The batch order of one epoch: a pure function of (seed, epoch, sample count). */
export function epochOrder(seed: number, epoch: number, count: number): Int32Array {
  return seededPermutation(count, deriveSeed(seed, epoch));
}

function setLearningRate(model: tf.LayersModel, rate: number): void {
  // tfjs optimizers keep the rate in a (TS-protected) field read on every step; there is no public setter.
  const opt = model.optimizer as unknown as { learningRate?: number };
  if (typeof opt.learningRate !== 'number') {
    throw new ShrinkmlError('UNSUPPORTED', `optimizer ${model.optimizer.getClassName()} has no learning rate to schedule`);
  }
  opt.learningRate = rate;
}

/**
 * Trains with a seeded batch order (tfjs's fit shuffles with the unseeded Math.random): the same seed, initial
 * weights and backend give bit-identical weights. Targets are one-hot of the dataset's labels.
 */
export async function trainSeeded(options: TrainSeededOptions): Promise<TrainHistory> {
  const { model, train, epochs, batchSize, seed } = options;
  const labels = train.labels;
  if (!labels) throw new ShrinkmlError('BAD_INPUT', `training data '${train.name}' has no labels`, { subject: train.files[0] });
  if (!Number.isInteger(epochs) || epochs < 1) throw new ShrinkmlError('BAD_INPUT', `epochs must be a positive integer, got ${epochs}`, { subject: '--epochs' });
  const classes = model.outputs[0]?.shape.at(-1);
  if (typeof classes !== 'number') throw new ShrinkmlError('BAD_INPUT', `model '${model.name}' has no fixed output width`);
  const maxLabel = labels.reduce((a, b) => Math.max(a, b), 0);
  if (maxLabel >= classes) {
    throw new ShrinkmlError('BAD_INPUT', `data '${train.name}' has label ${maxLabel} but model '${model.name}' outputs ${classes} classes`, { subject: train.files[0] });
  }
  if (!model.optimizer) {
    model.compile({ optimizer: tf.train.adam(options.learningRate ?? 1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  }
  const inputShape = modelInputShape(model);
  const perEpoch = Math.ceil(train.count / batchSize);
  const history: TrainHistory = { epochs: [], seed, batchSize, stopped: false };
  for (let epoch = 0; epoch < epochs; epoch++) {
    const started = Date.now();
    const learningRate = options.schedule?.(epoch);
    if (learningRate !== undefined) setLearningRate(model, learningRate);
    let lossSum = 0;
    let accSum = 0;
    let batch = 0;
    for (const b of batches(train, { batchSize, inputShape, order: epochOrder(seed, epoch, train.count) })) {
      await yieldToEventLoop(); // so a Ctrl-C handler can run and abort (see core/yield.ts)
      if (options.signal?.aborted) throw new ShrinkmlError('INTERRUPTED', `training stopped in epoch ${epoch + 1}`);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(b.labels!, 'int32'), classes).toFloat());
      let out: number | number[];
      try {
        out = await model.trainOnBatch(b.x, y);
      } finally {
        y.dispose();
      }
      const [loss, acc] = Array.isArray(out) ? out : [out, NaN];
      const n = b.end - b.start;
      lossSum += loss! * n;
      accSum += acc! * n;
      await options.callbacks?.onBatchEnd?.({ epoch, batch, loss: loss! });
      batch++;
      options.onProgress?.({
        phase: 'train', done: epoch * perEpoch + batch, total: epochs * perEpoch,
        message: `epoch ${epoch + 1}/${epochs} loss ${(lossSum / b.end).toFixed(4)}`,
      });
    }
    const log: EpochLog = { epoch, loss: lossSum / train.count, acc: accSum / train.count, learningRate, seconds: 0 };
    if (options.validation) log.valAcc = await evaluateAccuracy(model, options.validation, { batchSize: Math.max(batchSize, 256) });
    log.seconds = (Date.now() - started) / 1000;
    history.epochs.push(log);
    if ((await options.callbacks?.onEpochEnd?.(log)) === 'stop') {
      history.stopped = epoch < epochs - 1;
      break;
    }
  }
  return history;
}
