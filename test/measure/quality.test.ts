import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { evaluateQuality, type QualityBatch } from '../../src/measure/index.js';
import { canBeClassScores, type Forward, type Outputs } from '../../src/measure/quality.js';
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

  // Top-1 and KL over a keypoint or pixel output compare arbitrary coordinates: MoveNet's [1, 1, 17, 3] read
  // "agreement 18%" in eval while its keypoints moved half a pixel.
  const rows = (data: number[], cols: number, classScores?: boolean): Outputs => ({ data: Float32Array.from(data), rows: data.length / cols, cols, classScores });
  const forward = (outs: Outputs[]): Forward => async () => outs;
  const one = [{ x: { start: 0, end: 2 } }];

  it('class metrics skip outputs that cannot be class scores; cosine and PSNR still take the worst of all', async () => {
    const classes = rows([0.7, 0.2, 0.1, 0.1, 0.3, 0.6], 3);
    // Keypoints (y, x) whose largest coordinate differs from the reference's in both samples.
    const points = rows([0.5, 0.4, 0.4, 0.5], 2, false);
    const refPoints = rows([0.4, 0.5, 0.5, 0.4], 2, false);
    const q = await evaluateQuality({ model: forward([classes, points]), reference: forward([classes, refPoints]), batches: one });
    expect(q.values.agreement).toBe(1);
    expect(q.values.meanKl).toBe(0);
    // cos((0.5, 0.4), (0.4, 0.5)) = 0.40 / 0.41 for both samples of the keypoint output.
    expect(q.values.cosine).toBeCloseTo(0.4 / 0.41, 6);
    // The same keypoint output counted as class scores would have disagreed on every sample.
    const counted = await evaluateQuality({ model: forward([classes, { ...points, classScores: undefined }]), reference: forward([classes, { ...refPoints, classScores: undefined }]), batches: one });
    expect(counted.values.agreement).toBe(0);
  });

  it('no output that can be class scores: agreement and KL are left out, not reported as a number', async () => {
    const map = rows([1, 2, 3, 4, 5, 6, 7, 8], 4, false);
    const q = await evaluateQuality({ model: forward([map]), reference: forward([rows([1, 2, 3, 5, 5, 6, 7, 8], 4, false)]), batches: one });
    expect(Object.keys(q.values).sort()).toEqual(['cosine', 'mse', 'psnr']);
    expect(q.values.mse).toBeCloseTo(1 / 8, 9);
  });

  it('a tfjs model with a [batch, 2, 3] output: its dims mark it, so agreement is not reported', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 6, kernelInitializer: 'ones' }), tf.layers.reshape({ targetShape: [2, 3] })] });
    const q = await evaluateQuality({ model, reference: model, batches: batches(false) });
    expect(q.values).toEqual({ cosine: 1, mse: 0, psnr: Infinity });
    model.dispose();
  });

  it.each([
    [[8, 10], true], [[1, 1000, 1, 1], true], [[4], true], [[1, 1, 17, 3], false], [[1, 896, 17], false], [[2, 128, 128, 3], false],
  ])('an output of dims %j can be class scores: %s', (dims, expected) => {
    expect(canBeClassScores(dims)).toBe(expected);
  });
});
