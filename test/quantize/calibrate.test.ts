import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { calibrate } from '../../src/quantize/calibrate.js';
import { useWasm } from './helpers.js';
import { functional, mlp, synthetic } from './models.js';

beforeAll(useWasm);

/** Exact min/max of each layer's input over the whole dataset, computed in one go. */
function directRanges(model: tf.LayersModel, names: string[], x: tf.Tensor) {
  return Object.fromEntries(names.map((n) => {
    const probe = tf.model({ inputs: model.inputs, outputs: model.getLayer(n).input as tf.SymbolicTensor });
    const out = probe.predict(x) as tf.Tensor;
    const r = { min: out.min().dataSync()[0]!, max: out.max().dataSync()[0]! };
    out.dispose();
    return [n, r];
  }));
}

describe('calibrate', () => {
  it.each([
    ['mlp', mlp, ['fc1', 'fc2', 'fc3']],
    ['functional', functional, ['dense_a', 'dense_b', 'head']],
  ] as const)('%s: streamed minmax equals the exact range over all samples', async (_n, build, names) => {
    const model = build();
    const data = synthetic({ count: 50, sampleShape: [12] });
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const r = await calibrate(model, data, { samples: 40, batchSize: 16, onProgress: (e) => progress.push(e.done) });
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(r.ranges)).toEqual(names);
    expect(r.samples).toBe(40);
    expect(progress).toEqual([16, 32, 40]);
    const x = tf.tensor2d(data.x.subarray(0, 40 * 12), [40, 12]);
    const want = directRanges(model, [...names], x);
    for (const n of names) {
      expect(r.ranges[n]!.min).toBeCloseTo(want[n]!.min, 6);
      expect(r.ranges[n]!.max).toBeCloseTo(want[n]!.max, 6);
    }
    // the first layer reads the model input: pixels in [0, 1)
    expect(r.ranges[names[0]]!.min).toBeGreaterThanOrEqual(0);
    expect(r.ranges[names[0]]!.max).toBeLessThan(1);
    x.dispose();
    model.dispose();
  });

  it('takes one observer per layer', async () => {
    const model = mlp();
    const data = synthetic({ count: 64, sampleShape: [12] });
    const r = await calibrate(model, data, { observer: (n) => ({ name: n === 'fc2' ? 'percentile' : 'minmax', options: { percentile: 90 } }) });
    expect(r.observers).toEqual({ fc1: 'minmax', fc2: 'percentile', fc3: 'minmax' });
    const exact = await calibrate(model, data, {});
    expect(r.ranges.fc2!.max).toBeLessThan(exact.ranges.fc2!.max);
    expect(r.ranges.fc1).toEqual(exact.ranges.fc1);
    model.dispose();
  });

  it('names the dataset when it is empty', async () => {
    const model = mlp();
    await expect(calibrate(model, synthetic({ count: 0, sampleShape: [12] }), {})).rejects.toThrow(/calibration data 'synthetic' has no samples/);
    model.dispose();
  });
});
