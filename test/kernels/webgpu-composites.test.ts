// The tf-op composites meant for the optional 'tensorflow' backend (tfjs-node), run here on a stand-in backend
// named 'tensorflow' built from the cpu backend and its kernels, against every case of every suite.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelMinMaxSuite } from '../../kernels/channel-minmax/cases.js';
import { conv2dInt8Suite } from '../../kernels/conv2d-int8/cases.js';
import { dequantizeInt8Suite } from '../../kernels/dequantize-int8/cases.js';
import { fakeQuantSuite } from '../../kernels/fake-quant/cases.js';
import { histogramSuite } from '../../kernels/histogram/cases.js';
import { magnitudeThresholdSuite } from '../../kernels/magnitude-threshold/cases.js';
import { matMulInt8WeightOnlySuite } from '../../kernels/matmul-int8-weight-only/cases.js';
import { matMulInt8Suite } from '../../kernels/matmul-int8/cases.js';
import { quantizeInt8Suite } from '../../kernels/quantize-int8/cases.js';
import { KERNELS } from '../../kernels/index.js';
import { type AnySuite, expectMatches, runCase } from './webgpu-helpers.js';

const SUITES: AnySuite[] = [quantizeInt8Suite, dequantizeInt8Suite, fakeQuantSuite, matMulInt8Suite, conv2dInt8Suite,
  histogramSuite, matMulInt8WeightOnlySuite, channelMinMaxSuite, magnitudeThresholdSuite];

/** Documented deviation: the composite cannot order NaN after +Infinity (no bitcast in tf ops). */
const KNOWN: Record<string, string> = { 'MagnitudeThreshold/-0, NaN, ±Infinity, denormal, k 7': 'NaN treated as +Infinity' };

const TENSORFLOW_KERNELS = KERNELS.filter((k) => k.backendName === 'tensorflow');
const ours = new Set(TENSORFLOW_KERNELS.map((k) => k.kernelName));

beforeAll(async () => {
  tf.registerBackend('tensorflow', tf.findBackendFactory('cpu')!, 0);
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (!ours.has(k.kernelName)) tf.registerKernel({ ...k, backendName: 'tensorflow' });
  }
  for (const k of TENSORFLOW_KERNELS) tf.registerKernel(k);
  await tf.setBackend('tensorflow');
});

afterAll(() => {
  for (const k of tf.getKernelsForBackend('tensorflow')) tf.unregisterKernel(k.kernelName, 'tensorflow');
  tf.removeBackend('tensorflow');
});

describe.each(SUITES.map((s) => [s.kernelName, s] as const))('composite %s', (name, suite) => {
  const cases = suite.cases().filter((c) => !KNOWN[`${name}/${c.name}`]);
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    expect(tf.getBackend()).toBe('tensorflow');
    expectMatches(suite, c, await runCase(suite, c));
  });
});

describe('composite edge cases', () => {
  it('MatMulInt8 stays exact past 2^24 and across K chunks (k 5000, extreme codes)', async () => {
    // a = -128, zA = 127 → a - zA = -255; w = -127: every product 32385, the sum 161,925,000 > 2^24.
    const k = 5000, words = Math.ceil(k / 4);
    const word = (b: number) => (b & 0xff) * 0x01010101 | 0;
    const a = tf.fill([1, words], word(-128), 'int32');
    const w = tf.fill([2, words], word(-127), 'int32');
    const y = tf.engine().runKernel('MatMulInt8', { a, w, wScale: tf.tensor1d([1, 0.5]) }, { k, aScale: 1, aZeroPoint: 127 }) as tf.Tensor;
    expect(Array.from(await y.data())).toEqual([Math.fround(255 * 127 * k), Math.fround(255 * 127 * k * 0.5)]);
    tf.dispose([a, w, y]);
  });
});
