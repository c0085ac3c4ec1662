import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/index.js';
import { evaluateAccuracy } from '../../src/train/index.js';

/** A "model" that predicts class = round(first feature * 10): accuracy is known exactly. */
const oracle = {
  inputs: [{ shape: [null, 2] }],
  predict: (x: tf.Tensor) => tf.tidy(() => tf.oneHot(tf.round(x.slice([0, 0], [-1, 1]).reshape([-1]).mul(10)).toInt(), 10)),
};

function data(labels?: number[]): Dataset {
  const firsts = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
  const x = new Float32Array(firsts.flatMap((f) => [f, 0]));
  return { name: 'seven', split: 'test', count: 7, sampleShape: [2], x, labels: labels && Int32Array.from(labels), files: ['seven.npy'] };
}

describe('evaluateAccuracy', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    [[1, 2, 3, 4, 5, 6, 7], 1, 3],
    [[1, 2, 3, 4, 5, 6, 0], 6 / 7, 2],
    [[0, 0, 0, 0, 0, 0, 0], 0, 7],
  ])('labels %j give accuracy %d (batch size %i) without leaking tensors', async (labels, accuracy, batchSize) => {
    const before = tf.memory().numTensors;
    const done: number[] = [];
    expect(await evaluateAccuracy(oracle, data(labels), { batchSize, onProgress: (e) => done.push(e.done) })).toBeCloseTo(accuracy, 10);
    expect(done.at(-1)).toBe(7);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses unlabelled data, naming the file', async () => {
    await expect(evaluateAccuracy(oracle, data())).rejects.toMatchObject({ code: 'BAD_INPUT', subject: 'seven.npy', message: expect.stringMatching(/has no labels; accuracy needs labels/) });
  });
});
