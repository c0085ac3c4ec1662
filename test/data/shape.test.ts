import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batches, loadData, planLayout, toModelInput, type Dataset } from '../../src/data/index.js';

function rgbDataset(): Dataset {
  // 2 samples of 2×5 pixels × 3 channels, value = sample*100 + y*10 + x + channel/10.
  const x = new Float32Array(2 * 2 * 5 * 3);
  for (let s = 0; s < 2; s++) for (let y = 0; y < 2; y++) for (let xx = 0; xx < 5; xx++) for (let c = 0; c < 3; c++) {
    x[((s * 2 + y) * 5 + xx) * 3 + c] = s * 100 + y * 10 + xx + c / 10;
  }
  return { name: 'rgb', split: 'test', count: 2, sampleShape: [2, 5, 3], x, files: [] };
}

describe('layout shaping', () => {
  let mnist: Dataset;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    mnist = await loadData({ source: 'mnist', split: 'test', limit: 4 });
  });

  it.each([
    // pixel (y, x) of sample s, read from each layout
    ['[N,784]', [null, 784], (t: number[][], s: number, y: number, x: number) => (t as unknown as number[][])[s]![y * 28 + x]!],
    ['NHWC', [null, 28, 28, 1], (t: number[][][][], s: number, y: number, x: number) => t[s]![y]![x]![0]!],
    ['NCHW', [null, 1, 28, 28], (t: number[][][][], s: number, y: number, x: number) => t[s]![0]![y]![x]!],
    ['[N,28,28]', [null, 28, 28], (t: number[][][], s: number, y: number, x: number) => t[s]![y]![x]!],
  ] as const)('%s holds the same value at every pixel', (_name, shape, read) => {
    const t = toModelInput(mnist, shape, { start: 1, end: 3 });
    expect(t.shape).toEqual([2, ...shape.slice(1)]);
    const values = t.arraySync() as never;
    t.dispose();
    for (const [s, y, x] of [[0, 14, 14], [1, 10, 20], [0, 0, 0], [1, 27, 27], [0, 20, 5]] as const) {
      expect((read as (t: never, s: number, y: number, x: number) => number)(values, s, y, x)).toBe(mnist.x[(s + 1) * 784 + y * 28 + x]);
    }
  });

  it('moves channels first for NCHW inputs with several channels', () => {
    const d = rgbDataset();
    expect(planLayout(d, [null, 3, 2, 5])).toMatchObject({ layout: 'nchw', transpose: true });
    expect(planLayout(d, [null, 2, 5, 3])).toMatchObject({ layout: 'nhwc', transpose: false });
    const t = toModelInput(d, [-1, 3, 2, 5]);
    expect(t.shape).toEqual([2, 3, 2, 5]);
    const v = t.arraySync() as number[][][][];
    t.dispose();
    expect(v[1]![2]![1]![4]).toBeCloseTo(114.2, 4); // sample 1, channel 2, y 1, x 4
    expect(v[0]![1]![0]![3]).toBeCloseTo(3.1, 4);
  });

  it.each([
    ['different size', [null, 32, 32, 3], /data 'mnist' has samples of shape \[28,28,1\] \(784 values\) but the model input is \[null,32,32,3\]: the number of values differs/],
    ['unknown dims', [null, null, 784], /the input must be a batch dimension followed by fixed sizes/],
    ['same size, other geometry', [null, 14, 56, 1], /expected samples of height × width × channels \[14,56,1\]/],
    ['rank 5', [null, 1, 1, 28, 28], /rank-5 inputs are not supported/],
  ] as const)('rejects an incompatible input shape (%s), naming the data', (_n, shape, message) => {
    expect(() => toModelInput(mnist, shape)).toThrow(message);
  });

  it('rejects an empty range', () => {
    expect(() => toModelInput(mnist, [null, 784], { start: 4 })).toThrow(/empty or invalid range \[4, 4\)/);
  });
});

describe('batches', () => {
  let mnist: Dataset;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    mnist = await loadData({ source: 'mnist', split: 'test', limit: 10 });
  });

  it('covers the data in order with a short last batch and frees every tensor', () => {
    const before = tf.memory().numTensors;
    const seen: [number, number, number[]][] = [];
    for (const b of batches(mnist, { batchSize: 4, inputShape: [null, 28, 28, 1] })) {
      seen.push([b.start, b.end, b.x.shape]);
      expect(Array.from(b.labels!)).toEqual(Array.from(mnist.labels!.subarray(b.start, b.end)));
    }
    expect(seen).toEqual([[0, 4, [4, 28, 28, 1]], [4, 8, [4, 28, 28, 1]], [8, 10, [2, 28, 28, 1]]]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('follows a given order and frees the tensor on break', () => {
    const before = tf.memory().numTensors;
    const order = Int32Array.from([9, 3, 5]);
    for (const b of batches(mnist, { batchSize: 2, inputShape: [null, 784], order })) {
      const row = b.x.arraySync() as number[][];
      expect(row[1]![300]).toBe(mnist.x[3 * 784 + 300]);
      expect(Array.from(b.labels!)).toEqual([mnist.labels![9], mnist.labels![3]]);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a bad batch size', () => {
    expect(() => batches(mnist, { batchSize: 0, inputShape: [null, 784] }).next()).toThrow(/batch size must be a positive integer/);
  });
});
