import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pruneStructured } from '../../src/prune/index.js';
import { convNet } from '../graph/models.js';
import { maxAbsDiff, predictArray, randomInput, randomizeWeights, zeroOutChannels } from './helpers.js';

beforeAll(async () => { await tf.setBackend('wasm'); });
afterAll(async () => { await tf.setBackend('cpu'); });

// Regression: on wasm, gather outputs are stored under a rank-4 shape; a bias sliced by gather then broke
// FusedConv2D ("only supports rank-1 bias") the first time the pruned model ran.
it('a structurally pruned conv model runs on the wasm backend and keeps its predictions', async () => {
  const m = convNet();
  randomizeWeights(m, 4);
  zeroOutChannels(m, 'c1', [0, 2]);
  zeroOutChannels(m, 'd1', [1, 2, 3]);
  const { model } = await pruneStructured({ model: m, ratio: 0.5 });
  const x = randomInput([2, 8, 8, 1]);
  expect(maxAbsDiff(await predictArray(m, x), await predictArray(model, x))).toBeLessThan(1e-5);
  model.dispose();
  x.dispose();
});
