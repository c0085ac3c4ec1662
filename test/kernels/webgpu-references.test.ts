// The references of the ops this work added (quantize/dequantize, min/max, magnitude threshold, weight-only),
// checked against independent computations, and their cpu and wasm kernels (which run the references) for plumbing.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeQuantize, packInt8, unpackInt8 } from '../../src/core/numerics.js';
import { channelMinMaxRef } from '../../kernels/channel-minmax/index.js';
import { channelMinMaxSuite } from '../../kernels/channel-minmax/cases.js';
import { dequantizeInt8Ref } from '../../kernels/dequantize-int8/index.js';
import { dequantizeInt8Suite } from '../../kernels/dequantize-int8/cases.js';
import { registerKernels } from '../../kernels/index.js';
import { magnitudeMasks, magnitudeThreshold } from '../../kernels/magnitude-threshold/index.js';
import { magnitudeThresholdSuite } from '../../kernels/magnitude-threshold/cases.js';
import { magnitudeBits, orderedInputs } from '../../kernels/magnitude-threshold/reference.js';
import { matMulInt8WeightOnlySuite } from '../../kernels/matmul-int8-weight-only/cases.js';
import { quantizeInt8Ref } from '../../kernels/quantize-int8/index.js';
import { nearTies, quantizeInt8Suite } from '../../kernels/quantize-int8/cases.js';
import { randomFloat, seeded } from '../../kernels/testing-data.js';
import { type AnySuite, expectMatches, maxError, runCase } from './webgpu-helpers.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await registerKernels();
  await tf.setBackend('cpu');
});

const SUITES: AnySuite[] = [quantizeInt8Suite, dequantizeInt8Suite, channelMinMaxSuite, magnitudeThresholdSuite,
  matMulInt8WeightOnlySuite];

describe.each(SUITES.map((s) => [s.kernelName, s] as const))('%s', (_name, suite) => {
  it.each(['cpu', 'wasm'].flatMap((b) => suite.cases().map((c) => [b, c.name, c] as const)))('%s: %s', async (backend, _n, c) => {
    await tf.setBackend(backend);
    try {
      expectMatches(suite, c, await runCase(suite, c));
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

describe('references against independent computations', () => {
  it.each([['per tensor', 1], ['per row', 6]] as const)('quantize then dequantize is fakeQuantize (%s)', (_n, channels) => {
    const rand = seeded(77);
    const k = 19;
    const x = Float32Array.from([...randomFloat([6 * k - 12], rand, 2).values, ...nearTies(0.05).slice(0, 12)]);
    const scale = Array.from({ length: channels }, (_, i) => Math.fround(0.05 + 0.01 * i));
    const zeroPoint = Array.from({ length: channels }, (_, i) => i - 2);
    const q = quantizeInt8Ref({ x, shape: [6, k], scale, zeroPoint, qmin: -128, qmax: 127, transpose: false });
    const back = dequantizeInt8Ref({ q, k, scale, zeroPoint, transpose: false });
    const want = new Float32Array(x.length);
    for (let r = 0; r < 6; r++) {
      const p = { scale: scale[channels === 1 ? 0 : r]!, zeroPoint: zeroPoint[channels === 1 ? 0 : r]! };
      want.set(fakeQuantize(x.subarray(r * k, (r + 1) * k), { params: p, range: { qmin: -128, qmax: 127 } }), r * k);
    }
    expect(Array.from(back)).toEqual(Array.from(want));
  });

  it('transposed quantization packs the columns (Dense kernel [in, out] → [out, in] rows)', () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i - 6); // [4, 3]
    const q = quantizeInt8Ref({ x, shape: [4, 3], scale: [1], zeroPoint: [0], qmin: -128, qmax: 127, transpose: true });
    expect(Array.from(unpackInt8(q, { rowLength: 4 }))).toEqual([-6, -3, 0, 3, -5, -2, 1, 4, -4, -1, 2, 5]);
  });

  it('channel min/max/abs-max match Math.min/max on NaN-free data', () => {
    const x = randomFloat([40, 5], seeded(3), 7).values;
    const got = channelMinMaxRef(x, 5);
    for (let c = 0; c < 5; c++) {
      const col = Array.from({ length: 40 }, (_, r) => x[r * 5 + c]!);
      expect([got[c], got[5 + c], got[10 + c]]).toEqual([Math.min(...col), Math.max(...col), Math.max(...col.map(Math.abs))]);
    }
  });

  it.each(magnitudeThresholdSuite.cases().map((c) => [c.name, c] as const))(
    'magnitude threshold prunes exactly k, never a larger magnitude than one kept: %s', async (_n, c) => {
      const tensors = orderedInputs(c.inputs).map((t) => tf.tensor(t.values, t.shape, t.dtype));
      const k = (c.attrs as { k: number }).k;
      const { threshold, index } = magnitudeThreshold({ tensors, k });
      const masks = magnitudeMasks({ tensors, threshold, index });
      const kept = (await Promise.all(masks.map((m) => m.data()))).flatMap((m) => Array.from(m));
      const bits = orderedInputs(c.inputs).flatMap((t) => Array.from(t.values, magnitudeBits));
      expect(kept.filter((v) => v === 0).length).toBe(k);
      const prunedMax = Math.max(-1, ...bits.filter((_, i) => kept[i] === 0));
      const keptMin = Math.min(2 ** 32, ...bits.filter((_, i) => kept[i] === 1));
      expect(prunedMax).toBeLessThanOrEqual(keptMin);
      tf.dispose([...tensors, threshold, index, ...masks]);
    });

  it('weight-only reference is x · dequantized(w)ᵀ (tf.matMul on cpu)', async () => {
    const rand = seeded(9);
    const [m, n, k] = [2, 6, 37];
    const x = randomFloat([m, k], rand).values;
    const codes = Int32Array.from({ length: n * k }, () => Math.floor(rand() * 255) - 127);
    const wScale = Float32Array.from({ length: n }, () => 0.01 + rand() * 0.01);
    const c = matMulInt8WeightOnlySuite.cases()[0]!;
    const suiteCase = { ...c, inputs: { x: { shape: [m, k], dtype: 'float32' as const, values: x },
      w: { shape: [n, Math.ceil(k / 4)], dtype: 'int32' as const, values: packInt8(codes, { rowLength: k }) },
      wScale: { shape: [n], dtype: 'float32' as const, values: wScale } } };
    const want = tf.tidy(() => tf.matMul(tf.tensor2d(x, [m, k]),
      tf.mul(tf.tensor2d(codes, [n, k], 'float32'), tf.reshape(tf.tensor1d(wScale), [n, 1])), false, true));
    const ref = matMulInt8WeightOnlySuite.reference(suiteCase);
    expect(maxError(ref.values, await want.data())).toBeLessThan(1e-5);
    want.dispose();
  });
});
