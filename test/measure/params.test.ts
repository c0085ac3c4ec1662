import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParams } from '../../src/measure/index.js';
import { knownDense, tinyGraph } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('countParams (LayersModel)', () => {
  it('counts every parameter and the non-zero ones, per layer and in total', async () => {
    const model = knownDense();
    const before = tf.memory().numTensors;
    const stats = await countParams({ model });
    expect(tf.memory().numTensors).toBe(before);
    // hidden: 12 + 3 params, 5 + 3 zeros; out: 6 + 2 params, 1 zero.
    expect(stats.params).toBe(23);
    expect(stats.nonzeroParams).toBe(14);
    expect(stats.sparsity).toBeCloseTo(9 / 23, 12);
    expect(stats.layers.map((l) => [l.name, l.class, l.params, l.nonzeroParams, l.weightBits])).toEqual([
      ['hidden', 'Dense', 15, 7, 32],
      ['out', 'Dense', 8, 7, 32],
    ]);
    expect(stats.layers[0].sparsity).toBeCloseTo(8 / 15, 12);
    expect(stats.layers[1].sparsity).toBeCloseTo(1 / 8, 12);
    expect(stats.layers[0].outputShape).toEqual([null, 3]);
    expect(stats.layers[0].weights.map((w) => [w.name, w.params, w.nonzeroParams])).toEqual([
      ['hidden/kernel', 12, 7], ['hidden/bias', 3, 0],
    ]);
    model.dispose();
  });

  it.each([
    ['float32 manifest', { dtype: 'float32' }, undefined, 32],
    ['uint8-quantized manifest', { dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }, undefined, 8],
    ['uint16-quantized manifest', { dtype: 'float32', quantization: { dtype: 'uint16', scale: 1, min: 0 } }, undefined, 16],
    ['float16 manifest', { dtype: 'float32', quantization: { dtype: 'float16' } }, undefined, 16],
    ['int8 hook overrides the manifest', { dtype: 'float32' }, { 'hidden/kernel': 8 }, 8],
  ] as const)('weightBits from the %s', async (_name, spec, override, bits) => {
    const model = knownDense();
    const weightSpecs = [{ name: 'hidden/kernel', shape: [4, 3], ...spec }] as tf.io.WeightsManifestEntry[];
    const stats = await countParams({ model, weightSpecs, weightBits: override });
    expect(stats.layers[0].weightBits).toBe(bits);
    expect(stats.layers[0].weights[1].weightBits).toBe(32); // the bias keeps its float32
    model.dispose();
  });

  it('a layer without weights has 0 params, sparsity 0 and no weightBits', async () => {
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2] }), tf.layers.dense({ units: 1, kernelInitializer: 'zeros' })] });
    const stats = await countParams({ model });
    expect(stats.layers[0]).toMatchObject({ class: 'Flatten', params: 0, sparsity: 0, weightBits: null, outputShape: [null, 4] });
    expect(stats).toMatchObject({ params: 5, nonzeroParams: 0, sparsity: 1 });
    model.dispose();
  });
});

describe('countParams (GraphModel)', () => {
  it('reports one row per weight tensor', async () => {
    const { model, weightSpecs } = await tinyGraph();
    const stats = await countParams({ model, weightSpecs });
    expect(stats).toMatchObject({ params: 6, nonzeroParams: 4 });
    expect(stats.sparsity).toBeCloseTo(2 / 6, 12);
    expect(stats.layers).toHaveLength(1);
    expect(stats.layers[0]).toMatchObject({ name: 'w', class: 'Const', params: 6, nonzeroParams: 4, weightBits: 32, outputShape: [3, 2] });
    model.dispose();
  });
});
