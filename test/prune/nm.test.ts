import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { isNMSparse, pruneUnstructured } from '../../src/prune/index.js';
import { randomizeWeights } from './helpers.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

function net(): tf.LayersModel {
  const m = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [5, 5, 8], filters: 3, kernelSize: 2, name: 'conv' }),
    tf.layers.flatten({ name: 'f' }),
    tf.layers.dense({ units: 6, name: 'dense' }), // 48 inputs
    tf.layers.dense({ units: 2, name: 'odd' }), // 6 inputs: a trailing block of 2
  ] });
  randomizeWeights(m, 5);
  return m;
}

it.each([
  [2, 4], [1, 4], [2, 8], [4, 8],
])('%i:%i — every block of M input channels has ≤ N non-zeros, and exactly N when full', async (n, m) => {
  const model = net();
  const warnings: string[] = [];
  await pruneUnstructured(model, { spec: { kind: 'nm', n, m, criterion: 'l1' }, onWarn: (w) => warnings.push(w) });
  expect(warnings).toEqual([]);
  const conv = model.getLayer('conv').weights[0].read();
  const dense = model.getLayer('dense').weights[0].read();
  const odd = model.getLayer('odd').weights[0].read();
  expect(isNMSparse(conv.dataSync(), conv.shape, 2, n, m)).toBe(true);
  expect(isNMSparse(dense.dataSync(), dense.shape, 0, n, m)).toBe(true);
  expect(isNMSparse(odd.dataSync(), odd.shape, 0, n, m)).toBe(true);
  // Full blocks keep exactly N: the weights are random, none is zero before.
  const zeros = (t: tf.Tensor) => t.dataSync().filter((v) => v === 0).length;
  expect(zeros(conv)).toBe(conv.size * (m - n) / m);
  expect(zeros(dense)).toBe(dense.size * (m - n) / m);
});

it('keeps the N largest of each block (checked by hand on one column)', async () => {
  const model = net();
  const k = model.getLayer('dense').weights[0];
  k.write(tf.tidy(() => tf.tensor1d([0.1, -0.9, 0.5, 0.2, 0.3, 0.3, -0.3, 0.0]).tile([6]).reshape([48, 1]).tile([1, 6])));
  await pruneUnstructured(model, { spec: { kind: 'nm', n: 2, m: 4, criterion: 'l1' } });
  const col = Array.from({ length: 8 }, (_, i) => k.read().dataSync()[i * 6]);
  // Block [0.1, -0.9, 0.5, 0.2] keeps −0.9 and 0.5; block [0.3, 0.3, −0.3, 0] is a three-way tie: the lowest index goes.
  expect(col.map((v) => Math.round(v * 10) / 10)).toEqual([0, -0.9, 0.5, 0, 0, 0.3, -0.3, 0]);
});

it('isNMSparse catches a block with too many non-zeros', () => {
  expect(isNMSparse([1, 1, 1, 0], [4, 1], 0, 2, 4)).toBe(false);
  expect(isNMSparse([1, 0, 1, 0], [4, 1], 0, 2, 4)).toBe(true);
});
