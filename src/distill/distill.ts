import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import { batches } from '../data/batches.js';
import type { Dataset } from '../data/types.js';
import { modelInputShape } from '../train/evaluate.js';
import { epochOrder } from '../train/seeded.js';
import { callbackList, type TrainingCallback } from './callbacks.js';
import { DISTILL_DEFAULTS } from './defaults.js';
import { EarlyStopper, type EarlyStoppingOptions } from './early-stopping.js';
import { evaluateLogits } from './evaluate.js';
import { logitsOf } from './logits.js';
import { checkLossOptions } from './loss.js';
import { missingKernel, step } from './step.js';
import { teacherLogits, teacherRows, type TeacherSource } from './teacher.js';
import { yieldToEventLoop } from '../core/yield.js';

/** Teacher, student, data and the distillation settings (temperature, alpha, epochs) for distill(). */
export interface DistillOptions extends TeacherSource {
  /** The model trained in place. If it ends in a softmax, its pre-softmax tensor is trained (see `logitsOf`). */
  student: tf.LayersModel;
  /** Labelled training data, shaped per batch for each model's input (see data/shape.ts). */
  data: Dataset;
  /** Held-out labelled data for val_loss / val_acc and early stopping. */
  validation?: Dataset;
  /** Default {@link DISTILL_DEFAULTS.epochs}. */
  epochs?: number;
  /** Default {@link DISTILL_DEFAULTS.batchSize}. */
  batchSize?: number;
  /** Default {@link DISTILL_DEFAULTS.temperature}, Hinton et al. 2015. */
  temperature?: number;
  /** Hard-label weight; default {@link DISTILL_DEFAULTS.alpha}, Hinton et al. 2015. */
  alpha?: number;
  /** Default tf.train.adam(1e-3), created and disposed here; a given optimizer is left alive (e.g. for QAT after). */
  optimizer?: tf.Optimizer;
  /** tfjs callbacks (PruningCallback, QAT hooks, tf.callbacks.earlyStopping, ...) called per batch and epoch as in fit(). */
  callbacks?: readonly TrainingCallback[];
  /** On by default when `validation` is given (patience {@link DISTILL_DEFAULTS.patience}); false turns it off. */
  earlyStopping?: EarlyStoppingOptions | false;
  /** Seed of the batch order (train/seeded.ts epochOrder). Default 0. */
  seed?: number;
  onProgress?: ProgressFn;
  /** Aborting stops before the next batch with an INTERRUPTED error. */
  signal?: AbortSignal;
}

export interface DistillEpochLog {
  epoch: number;
  /** Mean distillation loss over the epoch's samples. */
  loss: number;
  hardLoss: number;
  softLoss: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
  /** tf.memory().numTensors after the epoch: constant from the second epoch on, or something leaks. */
  liveTensors: number;
}

export interface DistillHistory {
  epochs: DistillEpochLog[];
  stoppedEarly: boolean;
  /** The epoch with the best monitored value when early stopping ran, else null. */
  bestEpoch: number | null;
  restoredBestWeights: boolean;
  temperature: number;
  alpha: number;
  seed: number;
  batchSize: number;
  /** Whether the student's / teacher's logits were read from before a softmax (null: teacher given as logits). */
  studentFromSoftmax: boolean;
  teacherFromSoftmax: boolean | null;
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ShrinkmlError('BAD_INPUT', `distill: ${name} must be a whole number ≥ 1, got ${value}`, { subject: `--${name}` });
  }
  return value;
}

/**
 * Trains `student` to match a frozen teacher (Hinton et al. 2015) with a custom loop: optimizer.minimize under
 * tf.tidy over the seeded batch order of train/seeded.ts, the loss of `distillationLoss`, tfjs callbacks per batch
 * and epoch (so a pruning schedule or QAT hook composes), validation and early stopping per epoch.
 * Only the student's trainable variables are updated; the teacher's logits are computed once up front.
 */
export async function distill(options: DistillOptions): Promise<DistillHistory> {
  const { temperature, alpha } = checkLossOptions(options);
  const epochs = positiveInt(options.epochs ?? DISTILL_DEFAULTS.epochs, 'epochs');
  const batchSize = positiveInt(options.batchSize ?? DISTILL_DEFAULTS.batchSize, 'batch-size');
  const seed = options.seed ?? 0;
  const { student, data, validation } = options;
  if (!data.labels) throw new ShrinkmlError('BAD_INPUT', `training data '${data.name}' has no labels`, { subject: data.files[0] ?? data.name });
  if (options.earlyStopping && !validation) {
    throw new ShrinkmlError('BAD_INPUT', 'distill: early stopping needs validation data', { subject: 'validation' });
  }
  const studentView = logitsOf(student);
  const inputShape = modelInputShape(student);
  const classes = student.outputs[0].shape.at(-1);
  if (typeof classes !== 'number') throw new ShrinkmlError('BAD_INPUT', `student '${student.name}' has no fixed output width`, { subject: student.name });
  const maxLabel = data.labels.reduce((a, b) => Math.max(a, b), 0);
  if (maxLabel >= classes) {
    throw new ShrinkmlError('BAD_INPUT', `data '${data.name}' has label ${maxLabel} but student '${student.name}' outputs ${classes} classes`, {
      subject: data.files[0] ?? data.name,
    });
  }
  const varList = student.trainableWeights.map((w) => w.read() as tf.Variable);
  if (varList.length === 0) throw new ShrinkmlError('BAD_INPUT', `student '${student.name}' has no trainable weights`, { subject: student.name });
  const teacher = await teacherLogits(options, data, inputShape, classes);

  const ownOptimizer = !options.optimizer;
  const optimizer = options.optimizer ?? tf.train.adam(DISTILL_DEFAULTS.learningRate);
  const stopper = validation && options.earlyStopping !== false ? new EarlyStopper(options.earlyStopping || {}, DISTILL_DEFAULTS.patience) : null;
  const steps = Math.ceil(data.count / batchSize);
  const callbacks = callbackList({ callbacks: options.callbacks ?? [], model: student, epochs, samples: data.count, batchSize, steps });
  const readBatchLoss = (options.callbacks?.length ?? 0) > 0;
  const progressEvery = Math.max(1, Math.floor((epochs * steps) / 100));
  const history: DistillHistory = {
    epochs: [], stoppedEarly: false, bestEpoch: null, restoredBestWeights: false, temperature, alpha, seed, batchSize,
    studentFromSoftmax: studentView.fromSoftmax, teacherFromSoftmax: teacher.fromSoftmax,
  };
  const train = (x: tf.Tensor) => studentView.logits(x, true);
  let sums: tf.Tensor | null = null;
  let lastMessage = '';
  try {
    // A Sequential model has a stopTraining flag (which callbacks set) only once built; fit() builds it, so do we.
    if (student instanceof tf.Sequential && !student.built) student.build();
    student.stopTraining = false;
    await callbacks.onTrainBegin();
    for (let epoch = 0; epoch < epochs; epoch++) {
      const started = Date.now();
      await callbacks.onEpochBegin(epoch);
      sums = tf.zeros([3]);
      let seen = 0;
      let batch = 0;
      const order = epochOrder(seed, epoch, data.count);
      for (const b of batches(data, { batchSize, inputShape, order })) {
        await yieldToEventLoop(); // so a Ctrl-C handler can run and abort (see core/yield.ts)
        if (options.signal?.aborted) throw new ShrinkmlError('INTERRUPTED', `distill: interrupted in epoch ${epoch + 1}`);
        const size = b.end - b.start;
        await callbacks.onBatchBegin(batch, { batch, size });
        const rows = teacherRows(teacher, order.subarray(b.start, b.end));
        let next: tf.Tensor;
        let cost: tf.Scalar;
        try {
          [next, cost] = step({ optimizer, varList, logits: train, lossOptions: { temperature, alpha }, x: b.x, labels: b.labels!, teacher: rows, sums });
        } catch (e) {
          throw missingKernel(e, student) ?? e;
        } finally {
          rows.dispose();
        }
        sums.dispose();
        sums = next;
        seen += size;
        const logs: tf.Logs = { batch, size };
        if (readBatchLoss) logs.loss = (await cost.data())[0]!;
        cost.dispose();
        await callbacks.onBatchEnd(batch, logs);
        batch++;
        const done = epoch * steps + batch;
        if (done % progressEvery === 0) options.onProgress?.({ phase: 'distill', done, total: epochs * steps, message: lastMessage });
        if (student.stopTraining) break;
      }
      const [total, hard, soft] = await sums.data();
      sums.dispose();
      sums = null;
      const log: DistillEpochLog = { epoch, loss: total! / seen, hardLoss: hard! / seen, softLoss: soft! / seen, seconds: 0, liveTensors: 0 };
      if (!Number.isFinite(log.loss)) {
        throw new ShrinkmlError('NON_FINITE', `distill: the loss became ${log.loss} in epoch ${epoch + 1}`, {
          subject: '--lr', suggestion: 'lower the learning rate or the temperature',
        });
      }
      const logs: tf.Logs = { loss: log.loss, hard_loss: log.hardLoss, soft_loss: log.softLoss };
      if (validation) {
        const val = await evaluateLogits({ logits: studentView.logits, data: validation, inputShape });
        log.valLoss = logs.val_loss = val.loss;
        log.valAccuracy = logs.val_acc = val.accuracy;
      }
      const stop = stopper?.update(epoch, stopper.monitor === 'val_loss' ? log.valLoss! : log.valAccuracy!, student) ?? false;
      await callbacks.onEpochEnd(epoch, logs);
      log.seconds = (Date.now() - started) / 1000;
      log.liveTensors = tf.memory().numTensors;
      history.epochs.push(log);
      lastMessage = `epoch ${epoch + 1}/${epochs} loss ${log.loss.toFixed(4)}` +
        (log.valAccuracy !== undefined ? ` val_acc ${log.valAccuracy.toFixed(4)}` : '');
      options.onProgress?.({ phase: 'distill', done: (epoch + 1) * steps, total: epochs * steps, message: lastMessage });
      if (stop || student.stopTraining) {
        history.stoppedEarly = epoch < epochs - 1;
        break;
      }
    }
    await callbacks.onTrainEnd();
    history.bestEpoch = stopper?.bestEpoch ?? null;
    history.restoredBestWeights = stopper?.finish(student) ?? false;
    return history;
  } finally {
    sums?.dispose();
    stopper?.dispose();
    if (ownOptimizer) optimizer.dispose();
  }
}
