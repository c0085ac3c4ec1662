import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { ConstantSparsity, PolynomialDecay, pruningCallback, stripPruning } from '../../src/prune/index.js';
import { randomInput, randomizeWeights, roundTrip } from './helpers.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

function net(): tf.LayersModel {
  const m = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu', name: 'h' }),
    tf.layers.dense({ units: 4, name: 'o' }),
  ] });
  randomizeWeights(m, 11);
  // A large learning rate: without re-masking, pruned weights would move far from 0 in one step.
  m.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
  return m;
}

const kernelZeros = (m: tf.LayersModel): number[][] => ['h', 'o'].map((n) => {
  const d = m.getLayer(n).weights[0].read().dataSync();
  const z: number[] = [];
  d.forEach((v, i) => { if (v === 0) z.push(i); });
  return z;
});

it('keeps pruned weights exactly zero after every batch of model.fit', async () => {
  const m = net();
  const x = randomInput([32, 8], 1);
  const y = randomInput([32, 4], 2);
  const cb = pruningCallback(new ConstantSparsity({ targetSparsity: 0.75, frequency: 1000 }));
  const seen: number[][][] = [];
  const checker = new tf.CustomCallback({ onBatchEnd: async () => { seen.push(kernelZeros(m)); } });
  const before = m.getLayer('h').weights[0].read().dataSync().slice();
  await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, callbacks: [cb, checker] });
  expect(seen.length).toBe(16);
  // 96 of 128 and 48 of 64 pruned at step 0; the same positions are zero after every batch.
  expect(seen[0].map((z) => z.length)).toEqual([96, 48]);
  for (const z of seen) expect(z).toEqual(seen[0]);
  // ...while the kept weights did train.
  const after = m.getLayer('h').weights[0].read().dataSync();
  expect(after.some((v, i) => v !== 0 && v !== before[i])).toBe(true);
  const strippedBefore = tf.memory().numTensors;
  const plain = stripPruning(m, cb);
  expect(tf.memory().numTensors).toBe(strippedBefore - 2); // the two mask tensors are freed
  expect(plain.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense']);
  const loaded = await roundTrip(plain);
  expect(kernelZeros(loaded)).toEqual(seen[0]);
  tf.dispose([x, y]);
  loaded.dispose();
});

it('raises sparsity along a PolynomialDecay schedule during fit', async () => {
  const m = net();
  const x = randomInput([32, 8], 3);
  const y = randomInput([32, 4], 4);
  const schedule = new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.8, beginStep: 0, endStep: 6, frequency: 2 });
  const cb = pruningCallback(schedule, { scope: 'global' });
  const zerosPerStep: number[] = [];
  const checker = new tf.CustomCallback({ onBatchEnd: async () => { zerosPerStep.push(kernelZeros(m).flat().length); } });
  await m.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, callbacks: [cb, checker] });
  // Masks are recomputed at steps 0, 2, 4, 6 and held in between.
  const at = (step: number) => Math.round(192 * schedule.sparsityAt(step));
  expect(zerosPerStep).toEqual([at(0), at(0), at(2), at(2), at(4), at(4), at(6), at(6)]);
  expect(at(6)).toBe(Math.round(192 * 0.8));
  stripPruning(m, cb);
  tf.dispose([x, y]);
});

it('does not grow tensor memory across a pruned fit', async () => {
  const m = net();
  const x = randomInput([16, 8], 5);
  const y = randomInput([16, 4], 6);
  const cb = pruningCallback(new ConstantSparsity({ targetSparsity: 0.5, frequency: 1 }));
  await m.fit(x, y, { epochs: 1, batchSize: 4, callbacks: [cb] });
  const base = tf.memory().numTensors;
  await m.fit(x, y, { epochs: 2, batchSize: 4, callbacks: [cb] });
  expect(tf.memory().numTensors).toBe(base);
  stripPruning(m, cb);
  tf.dispose([x, y]);
});
