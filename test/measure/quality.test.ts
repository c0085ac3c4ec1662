import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { evaluateQuality, type QualityBatch } from '../../src/measure/index.js';
import { scaledIdentity, tinyGraph } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const X = [[1, 2, 0], [3, -1, 2], [0, 0, 5], [2, 2, 1]];
const LABELS = [1, 0, 2, 1]; // argmax of the rows: 1, 0, 2, 0 (ties go to the first) → 3 of 4 right

/** Batches of 2 that dispose their own tensors when the loop advances, as the data module does. */
function* batches(labelled = true): Generator<QualityBatch> {
  for (let i = 0; i < X.length; i += 2) {
    const x = tf.tensor2d(X.slice(i, i + 2));
    try {
      yield { x, labels: labelled ? Int32Array.from(LABELS.slice(i, i + 2)) : undefined };
    } finally {
      x.dispose();
    }
  }
}

describe('evaluateQuality', () => {
  it('model y = x against reference y = 2x: hand-computed metrics, reference accuracy, no leaks', async () => {
    const model = scaledIdentity(3, 1);
    const reference = scaledIdentity(3, 2);
    const before = tf.memory().numTensors;
    const q = await evaluateQuality({ model, reference, batches: batches() });
    expect(tf.memory().numTensors).toBe(before);
    const flat = X.flat();
    const mse = flat.reduce((s, v) => s + v * v, 0) / flat.length; // (x − 2x)² = x²
    expect(q.samples).toBe(4);
    expect(q.values.accuracy).toBe(0.75);
    expect(q.referenceValues).toEqual({ accuracy: 0.75 });
    expect(q.values.agreement).toBe(1);
    expect(q.values.cosine).toBeCloseTo(1, 6);
    expect(q.values.mse).toBeCloseTo(mse, 6);
    expect(q.values.psnr).toBeCloseTo(10 * Math.log10(100 / mse), 6); // peak = max |2x| = 10
    expect(q.values.meanKl).toBeGreaterThan(0);
    model.dispose();
    reference.dispose();
  });

  it('a model against itself: agreement 1, KL 0, MSE 0, PSNR Infinity', async () => {
    const model = scaledIdentity(3, 1);
    const q = await evaluateQuality({ model, reference: model, batches: batches(false) });
    expect(q.values).toEqual({ agreement: 1, meanKl: 0, cosine: 1, mse: 0, psnr: Infinity });
    model.dispose();
  });

  it('async batches, a chosen metric list, and a GraphModel', async () => {
    const { model } = await tinyGraph();
    async function* gen(): AsyncGenerator<QualityBatch> {
      yield { x: tf.tensor2d([[1, 0, 0], [0, 0, 1]]), labels: Int32Array.from([0, 1]) }; // outputs [1,0], [2,3]
    }
    const q = await evaluateQuality({ model, batches: gen(), metrics: ['accuracy'], disposeBatches: true });
    expect(q.values).toEqual({ accuracy: 1 });
    model.dispose();
  });

  it('disposeBatches disposes the inputs it was handed', async () => {
    const model = scaledIdentity(3, 1);
    const before = tf.memory().numTensors;
    const list = [{ x: tf.tensor2d([[1, 2, 3]]), labels: Int32Array.from([2]) }];
    await evaluateQuality({ model, batches: list, disposeBatches: true });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it.each([
    ['a reference metric without a reference', { metrics: ['agreement'] }, /agreement compares against a reference model/],
    ['an unknown metric', { metrics: ['f1'] }, /unknown metric 'f1'/],
    ['accuracy on unlabelled data', { metrics: ['accuracy'], labelled: false }, /batch 0 has no labels \(needed by accuracy\)/],
    ['no data', { empty: true }, /got no samples/],
  ])('%s is an error', async (_name, opts: { metrics?: string[]; labelled?: boolean; empty?: boolean }, message) => {
    const model = scaledIdentity(3, 1);
    const err = await evaluateQuality({ model, metrics: opts.metrics, batches: opts.empty ? [] : batches(opts.labelled ?? true) }).catch((e) => e);
    expect(err).toBeInstanceOf(ShrinkmlError);
    expect(err.message).toMatch(message);
    model.dispose();
  });
});
