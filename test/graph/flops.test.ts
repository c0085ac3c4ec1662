import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { countFlops } from '../../src/graph/index.js';
import { convNet } from './models.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

it.each([
  // 2 · MACs: conv 6·6 positions × 3·3·1·4; dense 36×5; dense 5×3.
  ['conv/dense', convNet, { c1: 2 * 36 * 36, d1: 2 * 36 * 5, out: 2 * 5 * 3 }],
  ['depthwise and separable', () => tf.sequential({ layers: [
    tf.layers.depthwiseConv2d({ inputShape: [8, 8, 3], kernelSize: 3, name: 'dw' }),
    tf.layers.separableConv2d({ filters: 4, kernelSize: 3, name: 'sep' }),
  ] }), { dw: 2 * 36 * 27, sep: 2 * 16 * (3 * 3 * 3 + 3 * 4) }],
])('%s', (_name, build, expected) => {
  const report = countFlops(build());
  expect(Object.fromEntries(report.layers.map((l) => [l.name, l.flops]))).toEqual(expected);
  expect(report.total).toBe(Object.values(expected).reduce((s, v) => s + v, 0));
});
