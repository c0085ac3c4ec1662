import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import type { ProgressEvent } from '../../src/core/progress.js';
import { datasetLogits, distill, logitsOf, type DistillOptions } from '../../src/distill/index.js';
import { ConstantSparsity, PruningCallback, stripPruning } from '../../src/prune/index.js';
import { toyData, toyStudent, toyTeacher, weightsOf } from './toy.js';

const train = toyData(240, 1);
const validation = toyData(90, 2, 'validation');
let teacher: tf.LayersModel;

beforeAll(() => { teacher = toyTeacher(); });
afterAll(() => { teacher.dispose(); });

async function run(options: Partial<DistillOptions> & { studentSeed?: number } = {}) {
  const student = options.student ?? toyStudent(options.studentSeed ?? 7);
  // Adam at 0.02, not the default 1e-3: a toy run has only 15 steps per epoch.
  const optimizer = options.optimizer ?? tf.train.adam(0.02);
  try {
    const history = await distill({ teacher, student, data: train, validation, epochs: 6, batchSize: 16, seed: 3, earlyStopping: false, optimizer, ...options });
    return { student, history };
  } finally {
    if (!options.optimizer) optimizer.dispose();
  }
}

async function agreement(a: tf.LayersModel, b: tf.LayersModel): Promise<number> {
  const x = tf.tensor2d(validation.x, [validation.count, 4]);
  const same = tf.tidy(() => tf.mean(tf.equal(tf.argMax(a.predict(x) as tf.Tensor, -1), tf.argMax(b.predict(x) as tf.Tensor, -1)).toFloat()));
  const value = (await same.data())[0];
  tf.dispose([x, same]);
  return value;
}

describe('distill', () => {
  it('reduces the loss on a toy task and the student learns the teacher', async () => {
    const { student, history } = await run();
    const losses = history.epochs.map((e) => e.loss);
    expect(losses).toHaveLength(6);
    expect(losses[5]).toBeLessThan(0.5 * losses[0]);
    expect(history.epochs[5].valAccuracy).toBeGreaterThan(0.85);
    expect(await agreement(student, teacher)).toBeGreaterThan(0.9);
    expect(history.studentFromSoftmax).toBe(true);
    expect(history.teacherFromSoftmax).toBe(true);
    student.dispose();
  });

  it('leaks no tensors: constant across epochs, and none left after the run', async () => {
    const student = toyStudent(7);
    const before = tf.memory().numTensors;
    const { history } = await run({ student, epochs: 4 });
    const live = history.epochs.map((e) => e.liveTensors);
    // Epoch 1 creates Adam's slot variables; from then on the count must not move.
    expect(new Set(live.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    student.dispose();
  });

  it('disposes the optimizer it creates (and only that one)', async () => {
    const student = toyStudent(7);
    const before = tf.memory().numTensors;
    await distill({ teacher, student, data: train, epochs: 1, batchSize: 64 });
    expect(tf.memory().numTensors).toBe(before);
    const given = tf.train.adam(0.01);
    await distill({ teacher, student, data: train, epochs: 1, batchSize: 64, optimizer: given });
    expect(tf.memory().numTensors).toBeGreaterThan(before); // Adam's slots stay with the caller's optimizer
    given.dispose();
    expect(tf.memory().numTensors).toBe(before);
    student.dispose();
  });

  it('leaves the teacher untouched', async () => {
    const weights = weightsOf(teacher);
    const { student } = await run({ epochs: 2 });
    expect(weightsOf(teacher)).toEqual(weights);
    student.dispose();
  });

  it('gives identical results from precomputed teacher logits and is seeded', async () => {
    const { values } = await datasetLogits({ logits: logitsOf(teacher).logits, data: train, inputShape: [null, 4] });
    const a = await run({ epochs: 2 });
    const b = await run({ epochs: 2, teacher: undefined, teacherLogits: values });
    const c = await run({ epochs: 2, seed: 4 });
    expect(b.history.epochs.map((e) => e.loss)).toEqual(a.history.epochs.map((e) => e.loss));
    expect(weightsOf(b.student)).toEqual(weightsOf(a.student));
    expect(c.history.epochs[1].loss).not.toBe(a.history.epochs[1].loss);
    expect(b.history.teacherFromSoftmax).toBeNull();
    [a, b, c].forEach((r) => r.student.dispose());
  });

  it('lines teacher rows up with the shuffled samples: a label-perfect teacher alone (alpha = 0) teaches the labels', async () => {
    const oracle = new Float32Array(train.count * 3);
    train.labels!.forEach((label, i) => { oracle[i * 3 + label] = 8; });
    const { student, history } = await run({ teacher: undefined, teacherLogits: oracle, alpha: 0, epochs: 4 });
    expect(history.epochs[3].valAccuracy).toBeGreaterThan(0.85); // a misaligned teacher would give ~1/3
    student.dispose();
  });

  it('with alpha = 1 ignores the teacher (pure cross-entropy training)', async () => {
    const zeros = new Float32Array(train.count * 3);
    const a = await run({ epochs: 2, alpha: 1 });
    const b = await run({ epochs: 2, alpha: 1, teacher: undefined, teacherLogits: zeros });
    expect(weightsOf(b.student)).toEqual(weightsOf(a.student));
    expect(a.history.epochs[1].loss).toBeCloseTo(a.history.epochs[1].hardLoss, 6);
    [a, b].forEach((r) => r.student.dispose());
  });

  it('calls tfjs callbacks per batch and epoch, and a pruning-style mask survives training', async () => {
    const counts = { trainBegin: 0, epochEnd: 0, batchEnd: 0, trainEnd: 0 };
    const losses: number[] = [];
    /** Zeroes the hidden kernel's rows for the two noise inputs after every batch, as the pruning callback does. */
    class HalfMask extends tf.Callback {
      mask: tf.Tensor | null = null;
      override async onTrainBegin() {
        const kernel = this.model.layers[0].getWeights()[0];
        this.mask = tf.tidy(() => tf.concat([tf.ones([2, kernel.shape[1]!]), tf.zeros([2, kernel.shape[1]!])]));
      }
      override async onBatchEnd() {
        const v = this.model.layers[0].weights[0];
        tf.tidy(() => v.write(tf.mul(v.read(), this.mask!)));
      }
      override async onTrainEnd() { this.mask?.dispose(); }
    }
    const hooks = {
      onTrainBegin: async () => { counts.trainBegin++; },
      onEpochEnd: async (_e: number, logs?: tf.Logs) => { counts.epochEnd++; losses.push(logs!.val_loss); },
      onBatchEnd: async (_b: number, logs?: tf.Logs) => { counts.batchEnd++; expect(logs!.loss).toBeGreaterThan(0); },
      onTrainEnd: async () => { counts.trainEnd++; },
    };
    const { student, history } = await run({ epochs: 3, callbacks: [new HalfMask(), hooks] });
    expect(counts).toEqual({ trainBegin: 1, epochEnd: 3, batchEnd: 3 * 15, trainEnd: 1 });
    expect(losses).toEqual(history.epochs.map((e) => e.valLoss));
    const kernel = Array.from(student.layers[0].getWeights()[0].dataSync());
    expect(kernel.slice(16).every((v) => v === 0)).toBe(true); // rows 2-3 of a [4, 8] kernel
    expect(kernel.slice(0, 16).some((v) => v !== 0)).toBe(true);
    expect(history.epochs[2].valAccuracy).toBeGreaterThan(0.85); // the masked inputs were noise
    student.dispose();
  });

  it('composes with the pruning callback (prune → distill): the student ends 50% sparse and still learns', async () => {
    const student = toyStudent(7, 16);
    const pruning = new PruningCallback(new ConstantSparsity({ targetSparsity: 0.5, frequency: 5 }), { exclude: ['out'] });
    const { history } = await run({ student, epochs: 4, callbacks: [pruning] });
    stripPruning(student, pruning);
    const kernel = student.getLayer('h').getWeights()[0].dataSync();
    const zeros = kernel.filter((v) => v === 0).length;
    expect(zeros / kernel.length).toBeCloseTo(0.5, 2);
    expect(history.epochs[3].valAccuracy).toBeGreaterThan(0.85);
    student.dispose();
  });

  it('stops when a callback sets model.stopTraining (tf.callbacks.earlyStopping works as in fit)', async () => {
    const stopper = tf.callbacks.earlyStopping({ monitor: 'val_loss', patience: 0, minDelta: 100 });
    const { student, history } = await run({ epochs: 5, callbacks: [stopper] });
    expect(history.epochs).toHaveLength(2);
    expect(history.stoppedEarly).toBe(true);
    student.dispose();
  });

  it.each([
    ['val_loss', 1, 2],
    ['val_acc', 2, 3],
  ] as const)('early-stops on %s with patience %s after %s epochs, restoring the best weights', async (monitor, patience, epochs) => {
    let best: number[][] = [];
    const snapshot = { onEpochEnd: async (epoch: number) => { if (epoch === 0) best = weightsOf(student); } };
    const student = toyStudent(7);
    const { history } = await run({
      student, epochs: 6, callbacks: [snapshot],
      earlyStopping: { monitor, patience, minDelta: 10, restoreBestWeights: true },
    });
    expect(history.epochs).toHaveLength(epochs);
    expect(history.stoppedEarly).toBe(true);
    expect(history.bestEpoch).toBe(0);
    expect(history.restoredBestWeights).toBe(true);
    expect(weightsOf(student)).toEqual(best);
    student.dispose();
  });

  it('reports progress with the epoch metrics', async () => {
    const events: ProgressEvent[] = [];
    const { student } = await run({ epochs: 2, onProgress: (e) => events.push(e) });
    const last = events[events.length - 1];
    expect(last).toMatchObject({ phase: 'distill', done: 30, total: 30 });
    expect(last.message).toMatch(/^epoch 2\/2 loss \d\.\d{4} val_acc \d\.\d{4}$/);
    expect(events.every((e, i) => i === 0 || e.done >= events[i - 1].done)).toBe(true);
    student.dispose();
  });

  it('stops with NON_FINITE when the loss diverges', async () => {
    const student = toyStudent(7);
    const nan = new Float32Array(train.count * 3).fill(Number.NaN);
    await expect(run({ student, teacher: undefined, teacherLogits: nan, epochs: 1 })).rejects.toMatchObject({ code: 'NON_FINITE' });
    student.dispose();
  });

  it('stops with INTERRUPTED when the signal aborts', async () => {
    const controller = new AbortController();
    const student = toyStudent(7);
    const before = tf.memory().numTensors;
    const abort = { onBatchEnd: async (b: number) => { if (b === 2) controller.abort(); } };
    await expect(run({ student, callbacks: [abort], signal: controller.signal })).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(tf.memory().numTensors).toBe(before);
    student.dispose();
  });

  it('a timer (what a Ctrl-C handler is) gets to run mid-training and its abort stops the run', async () => {
    // Without yielding to the event loop, every await in the loop is a microtask and the timer fires after the run.
    const controller = new AbortController();
    const student = toyStudent(7);
    let batches = 0;
    let firedAt = -1;
    setTimeout(() => { firedAt = batches; controller.abort(); }, 20);
    await expect(run({ student, epochs: 500, callbacks: [{ onBatchEnd: async () => { batches++; } }], signal: controller.signal }))
      .rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(firedAt).toBeGreaterThanOrEqual(0);
    expect(batches - firedAt).toBeLessThanOrEqual(1);
    student.dispose();
  });

  it.each([
    ['no teacher', { teacher: undefined }, /give a teacher model or precomputed teacher logits/],
    ['teacher logits of the wrong size', { teacher: undefined, teacherLogits: new Float32Array(5) }, /teacher gives/],
    ['a teacher with other classes', { teacher: tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] }) }, /teacher gives 2 classes/],
    ['zero epochs', { epochs: 0 }, /epochs must be a whole number/],
    ['early stopping without validation', { validation: undefined, earlyStopping: {} }, /early stopping needs validation data/],
    ['alpha out of range', { alpha: 2 }, /alpha must be in \[0, 1\]/],
    ['labels beyond the classes', { data: { ...train, labels: train.labels!.map((l) => l + 1) } }, /has label 3 but student .* outputs 3 classes/],
  ] as [string, Partial<DistillOptions>, RegExp][])('rejects %s with BAD_INPUT', async (_name, options, message) => {
    const student = toyStudent(7);
    const before = tf.memory().numTensors;
    const error = await run({ student, ...options }).then(() => null, (e) => e);
    expect(error).toBeInstanceOf(ShrinkmlError);
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
    student.dispose();
  });
});
