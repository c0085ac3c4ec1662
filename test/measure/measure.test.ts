import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { measureModel, type QualityBatch } from '../../src/measure/index.js';
import { graphLoaded, knownDense, writeLayersFolder } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 6 samples of 4 features; labels chosen so the reference gets 5 right and the pruned model 4. */
function data(): QualityBatch[] {
  const x = tf.tensor2d([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1]]);
  return [{ x, labels: Int32Array.from([1, 1, 1, 1, 1, 0]) }];
}

describe('measureModel', () => {
  it('size and params only, when nothing else is asked', async () => {
    const folder = await writeLayersFolder(knownDense());
    const m = await measureModel({ loaded: folder });
    expect(m).toMatchObject({ kind: 'layers', backend: 'cpu', params: 23, nonzeroParams: 14 });
    expect(m.size.bytes).toBe(folder.bytes.json + 92);
    expect(m.layers.map((l) => [l.name, l.class, l.params, l.weightBits])).toEqual([['hidden', 'Dense', 15, 32], ['out', 'Dense', 8, 32]]);
    for (const key of ['accuracy', 'latency', 'budget', 'agreement', 'drop'] as const) expect(m[key]).toBeUndefined();
    folder.model.dispose();
  });

  it('with a reference, labelled data and a budget: accuracy, drop in points, comparison metrics, verdict', async () => {
    const reference = await writeLayersFolder(knownDense());
    const pruned = knownDense();
    // Zero the second output's bias: both output scores become equal, so argmax always picks class 0.
    pruned.layers[1].setWeights([tf.ones([3, 2]), tf.tensor1d([0, 0])]);
    const loaded = await writeLayersFolder(pruned);
    const batches = data();
    const before = tf.memory().numTensors;
    const m = await measureModel({
      loaded, reference, batches,
      budget: 'params<=100k,acc>=0.5,drop<=10pt,agreement>=0.99,p50<=10s',
      latency: { batchSizes: [1], warmup: 0, runs: 2 },
    });
    expect(tf.memory().numTensors).toBe(before);
    // Reference: out = [h·1, h·1 + 1] so class 1 always wins → 5 of 6 labels.
    // Pruned: both scores equal → argmax ties to class 0 → only the last sample (label 0) is right.
    expect(m.samples).toBe(6);
    expect(m.referenceAccuracy).toBeCloseTo(5 / 6, 12);
    expect(m.accuracy).toBeCloseTo(1 / 6, 12);
    expect(m.drop).toBeCloseTo(400 / 6, 9);
    expect(m.agreement).toBe(0);
    expect(m.cosine).toBeGreaterThan(0.5);
    expect(m.latency?.p50Ms).toBeGreaterThan(0);
    expect(m.budget?.pass).toBe(false);
    expect(m.budget?.criteria.map((c) => [c.criterion, c.pass])).toEqual([
      ['params<=100k', true], ['acc>=0.5', false], ['drop<=10pt', false], ['agreement>=0.99', false], ['p50<=10s', true],
    ]);
    // Everything the CLI prints is plain data.
    expect(JSON.parse(JSON.stringify(m)).budget.pass).toBe(false);
    tf.dispose(batches.map((b) => b.x));
    pruned.dispose();
    reference.model.dispose();
  });

  it('a p50 budget measures latency even when latency was not asked for; a bad budget fails before any work', async () => {
    const g = await graphLoaded();
    const m = await measureModel({ loaded: g, budget: 'p50<=10s,sparsity>=0.3' });
    expect(m.latency?.byBatch.map((b) => b.batchSize)).toEqual([1, 32]);
    expect(m.sparsity).toBeCloseTo(1 / 3, 12);
    expect(m.budget?.pass).toBe(true);
    expect(m.layers[0]).toMatchObject({ name: 'w', class: 'Const', params: 6 });
    expect(m.size.files.map((f) => f.bytes)[1]).toBe(24);
    const err = await measureModel({ loaded: g, budget: 'speed>=1' }).catch((e) => e);
    expect(err).toBeInstanceOf(ShrinkmlError);
    expect(err.code).toBe('BUDGET');
    g.model.dispose();
  });
});
