import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadData, type Dataset } from '../../src/data/index.js';
import { epochOrder, evaluateAccuracy, trainSeeded } from '../../src/train/index.js';

function tinyModel(seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('seeded training', () => {
  let train: Dataset;
  let validation: Dataset;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    train = await loadData({ source: 'mnist', split: 'train', limit: 256 });
    validation = await loadData({ source: 'mnist', split: 'validation', limit: 200 });
  });

  it('a timer (what a Ctrl-C handler is) runs mid-training and its abort stops the run', async () => {
    // On tfjs-cpu/wasm every await in the loop is a microtask: without yielding to the event loop, the timer would
    // fire only after all 200 epochs and the run would finish instead of stopping.
    const model = tinyModel(5);
    const controller = new AbortController();
    let firedAtBatch = -1;
    let batchesRun = 0;
    setTimeout(() => { firedAtBatch = batchesRun; controller.abort(); }, 30);
    await expect(trainSeeded({
      model, train, epochs: 200, batchSize: 32, seed: 1, signal: controller.signal,
      callbacks: { onBatchEnd: () => { batchesRun++; } },
    })).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(firedAtBatch).toBeGreaterThanOrEqual(0);
    expect(batchesRun).toBeLessThan(200 * 8);
    expect(batchesRun - firedAtBatch).toBeLessThanOrEqual(1);
    model.optimizer.dispose();
    model.dispose();
  });

  it('epoch order is a seeded permutation that changes per epoch', () => {
    expect(Array.from(epochOrder(3, 0, 50))).toEqual(Array.from(epochOrder(3, 0, 50)));
    expect(Array.from(epochOrder(3, 1, 50))).not.toEqual(Array.from(epochOrder(3, 0, 50)));
    expect(Array.from(epochOrder(4, 0, 50))).not.toEqual(Array.from(epochOrder(3, 0, 50)));
  });

  it('the same seed reproduces bit-identical weights; another seed does not', async () => {
    const before = tf.memory().numTensors;
    const run = async (orderSeed: number) => {
      const model = tinyModel(11);
      const history = await trainSeeded({ model, train, epochs: 2, batchSize: 64, seed: orderSeed, learningRate: 0.01 });
      const w = weightsOf(model);
      model.optimizer.dispose();
      model.dispose();
      return { w, history };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(b.w).toEqual(a.w);
    expect(b.history.epochs.map((e) => e.loss)).toEqual(a.history.epochs.map((e) => e.loss));
    expect(c.w[0]).not.toEqual(a.w[0]);
    expect(a.history.epochs).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('learns, reports validation accuracy, progress and callbacks, and stops on request', async () => {
    const model = tinyModel(3);
    const progress: number[] = [];
    const batchEnds: number[] = [];
    const history = await trainSeeded({
      model, train, validation, epochs: 5, batchSize: 32, seed: 9, learningRate: 0.01,
      onProgress: (e) => progress.push(e.done),
      callbacks: {
        onBatchEnd: ({ batch }) => { batchEnds.push(batch); },
        onEpochEnd: (log) => (log.epoch === 2 ? 'stop' : undefined),
      },
    });
    expect(history.epochs).toHaveLength(3);
    expect(history.stopped).toBe(true);
    expect(progress.slice(0, 3)).toEqual([1, 2, 3]);
    expect(progress.at(-1)).toBe(24);
    expect(batchEnds.slice(0, 9)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0]);
    const [first, , last] = history.epochs;
    expect(last!.loss).toBeLessThan(first!.loss * 0.7);
    expect(last!.acc).toBeGreaterThan(0.5);
    expect(last!.valAcc).toBeGreaterThan(0.4);
    expect(last!.valAcc).toBe(await evaluateAccuracy(model, validation));
    model.dispose();
  });

  it('applies a learning-rate schedule per epoch', async () => {
    const model = tinyModel(3);
    const history = await trainSeeded({ model, train, epochs: 2, batchSize: 128, seed: 1, schedule: (e) => 0.01 / (e + 1) });
    expect(history.epochs.map((e) => e.learningRate)).toEqual([0.01, 0.005]);
    expect((model.optimizer as unknown as { learningRate: number }).learningRate).toBe(0.005);
    model.dispose();
  });

  it.each([
    ['unlabelled data', () => ({ ...train, labels: undefined }), /training data 'mnist' has no labels/],
    ['labels beyond the outputs', () => ({ ...train, labels: Int32Array.from(train.labels!, () => 12) }), /has label 12 but model '.*' outputs 10 classes/],
  ])('rejects %s', async (_n, data, message) => {
    const model = tinyModel(1);
    await expect(trainSeeded({ model, train: data(), epochs: 1, batchSize: 8, seed: 1 })).rejects.toThrow(message);
    model.dispose();
  });

  it('stops with INTERRUPTED when the signal is aborted', async () => {
    const model = tinyModel(1);
    const controller = new AbortController();
    controller.abort();
    await expect(trainSeeded({ model, train, epochs: 1, batchSize: 8, seed: 1, signal: controller.signal })).rejects.toMatchObject({ code: 'INTERRUPTED' });
    model.dispose();
  });
});
