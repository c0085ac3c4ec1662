import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import type { ProgressEvent } from '../../src/core/progress.js';
import { measureLatency } from '../../src/measure/index.js';
import { knownDense, tinyGraph } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('measureLatency', () => {
  it('LayersModel: finite positive timings per batch size, ordered statistics, no leaked tensors', async () => {
    const model = knownDense();
    const events: ProgressEvent[] = [];
    const before = tf.memory().numTensors;
    const result = await measureLatency({ model, batchSizes: [1, 4], warmup: 1, runs: 3, onProgress: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.backend).toBe('cpu');
    expect(result.byBatch.map((b) => [b.batchSize, b.runs])).toEqual([[1, 3], [4, 3]]);
    for (const b of result.byBatch) {
      for (const v of [b.p50Ms, b.p95Ms, b.meanMs, b.minMs, b.maxMs]) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThan(0);
      }
      expect(b.minMs).toBeLessThanOrEqual(b.p50Ms);
      expect(b.p50Ms).toBeLessThanOrEqual(b.p95Ms);
      expect(b.p95Ms).toBeLessThanOrEqual(b.maxMs);
    }
    expect(result.p50Ms).toBe(result.byBatch[0].p50Ms);
    expect(result.p95Ms).toBe(result.byBatch[0].p95Ms);
    expect(events).toHaveLength(8);
    expect(events.at(-1)).toMatchObject({ phase: 'latency', done: 8, total: 8 });
    model.dispose();
  });

  it('GraphModel with an explicit input shape; no batch 1 means no top-level p50', async () => {
    const { model } = await tinyGraph();
    const before = tf.memory().numTensors;
    const result = await measureLatency({ model, inputShape: [3], batchSizes: [2], warmup: 0, runs: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.byBatch[0].p50Ms).toBeGreaterThan(0);
    expect(result.p50Ms).toBeUndefined();
    model.dispose();
  });

  it.each([
    ['GraphModel, a feed by input name', async () => (await tinyGraph()).model, () => ({ x: tf.ones([5, 3]) })],
    ['LayersModel, a feed by input name', async () => knownDense(), (m: tf.LayersModel) => ({ [m.inputs[0]!.name]: tf.ones([5, 4]) })],
    ['LayersModel, a tensor', async () => knownDense(), () => tf.ones([5, 4])],
  ] as const)('%s: real inputs are timed as given (one batch of their own size), left to the caller', async (_name, build, makeFeed) => {
    const model = await build();
    const feed = makeFeed(model as tf.LayersModel);
    const before = tf.memory().numTensors;
    const result = await measureLatency({ model, feed, batchSizes: [1, 32], warmup: 1, runs: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.byBatch.map((b) => [b.batchSize, b.runs])).toEqual([[5, 3]]);
    expect(result.byBatch[0]!.p50Ms).toBeGreaterThan(0);
    expect(result.p50Ms).toBeUndefined();
    tf.dispose(feed instanceof tf.Tensor ? feed : Object.values(feed));
    model.dispose();
  });

  it.each([
    [{ runs: 0 }, /runs must be an integer >= 1/],
    [{ warmup: -1 }, /warmup must be an integer >= 0/],
    [{ batchSizes: [] }, /no batch sizes/],
    [{ batchSizes: [1.5] }, /batch-sizes must be an integer >= 1/],
  ])('rejects %j', async (opts, message) => {
    const model = knownDense();
    const err = await measureLatency({ model, ...opts }).catch((e) => e);
    expect(err).toBeInstanceOf(ShrinkmlError);
    expect(err.message).toMatch(message);
    model.dispose();
  });
});
