import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ZeroHold } from '../../src/pipeline/index.js';
import { parseQuantConfig, runQat } from '../../src/quantize/index.js';
import { seedWeights, synthetic } from '../quantize/models.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

const train = synthetic({ count: 256, sampleShape: [12], split: 'train', seed: 41 });
const config = parseQuantConfig({ mode: 'qat', qat: { epochs: 2, batchSize: 32, learningRate: 1e-2, seed: 3 } });

/** 12 → 16 relu → 3 softmax with every kernel weight below its layer's median magnitude set to 0 (50% sparse). */
function prunedMlp(): tf.LayersModel {
  const model = tf.sequential({ layers: [
    tf.layers.dense({ name: 'fc1', inputShape: [12], units: 16, activation: 'relu' }),
    tf.layers.dense({ name: 'fc2', units: 3, activation: 'softmax' }),
  ] });
  seedWeights(model, 5);
  for (const layer of model.layers) {
    const kernel = layer.weights[0]!;
    const values = kernel.read().dataSync();
    const median = Float32Array.from(values, Math.abs).sort()[values.length >> 1]!;
    tf.tidy(() => kernel.write(tf.tensor(values.map((v) => (Math.abs(v) < median ? 0 : v)), kernel.shape)));
  }
  return model;
}

/** Indices of the exact zeros of each kernel. */
function zeroPositions(model: tf.LayersModel): Record<string, number[]> {
  return Object.fromEntries(['fc1', 'fc2'].map((name) => {
    const values = model.getLayer(name).getWeights()[0]!.dataSync();
    return [name, [...values.keys()].filter((i) => values[i] === 0)];
  }));
}

describe('ZeroHold as a QAT callback', () => {
  it('keeps exactly the pruned zero positions through QAT fine-tuning, and leaves no tensors behind', async () => {
    const model = prunedMlp();
    const before = zeroPositions(model);
    expect([before.fc1!.length, before.fc2!.length]).toEqual([96, 24]);
    const tensors = tf.memory().numTensors;
    const hold = await ZeroHold.of(model);
    const r = await runQat({ model, config, ranges: {}, train, callbacks: [hold] });
    const after = zeroPositions(r.model);
    expect([after.fc1!.length, after.fc2!.length]).toEqual([96, 24]);
    expect(after).toEqual(before);
    // The masks were found in the fake-quant model (ShrinkmlQatDense under the same names), and it did train.
    expect(hold.layers).toEqual(['fc1', 'fc2']);
    const moved = tf.tidy(() => tf.sub(r.model.getLayer('fc1').getWeights()[0]!, model.getLayer('fc1').getWeights()[0]!).abs().max().dataSync()[0]!);
    expect(moved).toBeGreaterThan(1e-3);
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  it('without it, the same QAT run regrows pruned weights (what the test above guards against)', async () => {
    const model = prunedMlp();
    const before = zeroPositions(model);
    const r = await runQat({ model, config, ranges: {}, train });
    const after = zeroPositions(r.model);
    expect(after.fc1!.length).toBeLessThan(before.fc1!.length / 2);
    expect(after.fc2!.length).toBeLessThan(before.fc2!.length / 2);
    tf.dispose([r.model, model]);
  });
});
