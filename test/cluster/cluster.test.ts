import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterModel, clusterValues, decodeClusteredArtifacts, decodeIndexStream, encodeIndexStream, expandClustered, kmeans1d,
  loadClusteredLayers, packBits, packSparse, saveClusteredModel, shareCentroids, SharedCentroids, unpackBits, unpackSparse,
  withClusterDecoding,
} from '../../src/cluster/index.js';
import { loadModel } from '../../src/formats/index.js';
import { seededValues } from '../fixtures/models.js';
import { makeTmpDir, removeTmpDir, tempLeftovers } from '../fixtures/tmp.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await makeTmpDir('shrinkml-cluster-');
});
afterAll(() => removeTmpDir(dir));

function sparseValues(n: number, zeroEvery: number, seed = 3): Float32Array {
  const v = seededValues(n, seed);
  for (let i = 0; i < n; i += zeroEvery) v[i] = 0;
  return v;
}

describe('kmeans1d', () => {
  it('finds the centres of well-separated groups from a linear start', () => {
    const values = [0.9, 1, 1.1, 4.9, 5, 5.1, 9.8, 10, 10.2];
    const { centroids } = kmeans1d(values, 3);
    expect(Array.from(centroids).map((c) => +c.toFixed(4))).toEqual([1, 5, 10]);
  });
  it('returns the distinct values when there are no more than k', () => {
    expect(Array.from(kmeans1d([2, 2, -1, 2], 4).centroids)).toEqual([-1, 2]);
  });
});

describe('clusterValues', () => {
  it.each([16, 32, 64])('uses at most %i codes (≤ 6-bit indices), keeps zeros exactly zero and lowers error as k grows', (k) => {
    const values = sparseValues(4000, 3);
    const w = clusterValues({ name: 'w', shape: [40, 100], values, clusters: k });
    expect(w.codebook.length).toBe(k);
    expect(w.bits).toBe(Math.log2(k));
    expect(w.zeroCode).toBe(true);
    expect(w.codebook[0]).toBe(0);
    const expanded = expandClustered(w);
    for (let i = 0; i < values.length; i++) if (values[i] === 0) expect(expanded[i]).toBe(0);
    const nonzeroCodes = new Set(Array.from(w.indices).filter((_, i) => values[i] !== 0));
    expect(nonzeroCodes.has(0)).toBe(false);
    // Uniform values in [-1, 1) over k-1 intervals: mean |error| ≈ (2 / (k-1)) / 4.
    let err = 0;
    for (let i = 0; i < values.length; i++) err += Math.abs(values[i]! - expanded[i]!);
    expect(err / values.length).toBeLessThan(2 / (k - 1) / 4 * 1.3);
  });
  it('refuses more than 64 codes', () => {
    expect(() => clusterValues({ name: 'dense/kernel', shape: [2], values: new Float32Array(2), clusters: 65 })).toThrow(/dense\/kernel.*\[2, 64\]/);
  });
  it('shareCentroids moves each centroid to its members\' mean and keeps the zero pinned', () => {
    const w = clusterValues({ name: 'w', shape: [6], values: Float32Array.from([0, 1, 1, 3, 3, 0]), clusters: 3 });
    const moved = shareCentroids(w, Float32Array.from([0.5, 1.2, 1.4, 2.9, 3.3, -0.1]));
    expect(Array.from(moved).map((v) => +v.toFixed(5))).toEqual([0, 1.3, 1.3, 3.1, 3.1, 0]);
  });
});

describe('index streams', () => {
  it.each([1, 3, 4, 5, 6])('packBits round-trips %i-bit indices', (bits) => {
    const indices = Uint8Array.from({ length: 101 }, (_, i) => (i * 7) % (1 << bits));
    const packed = packBits(indices, bits);
    expect(packed.length).toBe(Math.ceil((101 * bits) / 8));
    expect(unpackBits(packed, bits, 101)).toEqual(indices);
  });
  it.each([[0.5], [0.9], [0.999]])('packSparse round-trips indices at sparsity %f, runs over 255 included', (sparsity) => {
    const n = 3000;
    const indices = Uint8Array.from({ length: n }, (_, i) => ((Math.sin(i * 12.9898) * 43758.5453) % 1 + 1) % 1 < sparsity ? 0 : 1 + (i % 15));
    indices[n - 1] = 0;
    const packed = packSparse(indices);
    expect(unpackSparse(packed, n)).toEqual(indices);
  });
  it('rejects a stream without its header or with an index outside the codebook', async () => {
    expect(() => decodeIndexStream(new Uint8Array(12), 'd/kernel')).toThrow(/d\/kernel.*SMLC/);
    const w = clusterValues({ name: 'd/kernel', shape: [2, 2], values: Float32Array.from([1, 2, 3, 4]), clusters: 4 });
    const stream = encodeIndexStream(w);
    expect(decodeIndexStream(stream, 'd/kernel').shape).toEqual([2, 2]);
    const artifacts: tf.io.ModelArtifacts = {
      weightSpecs: [{ name: 'd/kernel/codebook', shape: [2], dtype: 'float32' }, { name: 'd/kernel/indices', shape: [stream.length / 4], dtype: 'int32' }],
      weightData: new Uint8Array([...new Uint8Array(new Float32Array([1, 2]).buffer), ...stream]).buffer,
    };
    await expect(decodeClusteredArtifacts(artifacts)).rejects.toThrow(/index 3 is outside its 2-entry codebook/);
  });
});

function mlp(): tf.LayersModel {
  const model = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [20], units: 30, activation: 'relu', name: 'fc1' }),
    tf.layers.dense({ units: 5, name: 'fc2' }),
  ] });
  model.setWeights(model.weights.map((w, i) => tf.tensor(sparseValues(w.shape.reduce((a, b) => a! * b!, 1)!, 4, i + 1), w.shape as number[])));
  return model;
}

describe('clustered models', () => {
  it('clusters kernels only, holds sharing through training steps, and saves codebook + indices that load back exactly', async () => {
    const model = mlp();
    const before = tf.memory().numTensors;
    const weights = await clusterModel({ model, clusters: 8, exclude: ['fc2'] });
    expect(weights.map((w) => w.name)).toEqual([model.layers[0]!.weights[0]!.originalName]);
    const shared = new SharedCentroids(model, weights);
    // An optimizer-like perturbation, then the projection: at most 8 distinct values again, zeros still zero.
    const kernel = model.layers[0]!.weights[0]!;
    const zerosBefore = Array.from(kernel.read().dataSync()).map((v) => v === 0);
    tf.tidy(() => { kernel.write(tf.add(kernel.read(), tf.randomUniform(kernel.shape as number[], -0.01, 0.01, 'float32', 7))); });
    await shared.afterBatch();
    const after = Array.from(kernel.read().dataSync());
    expect(new Set(after).size).toBeLessThanOrEqual(8);
    expect(after.map((v) => v === 0)).toEqual(zerosBefore);
    expect(tf.memory().numTensors).toBe(before);

    const out = path.join(dir, 'clustered');
    const clusters = Object.fromEntries(weights.map((w) => [w.name, w]));
    const saved = await saveClusteredModel(model, out, clusters);
    expect(await tempLeftovers(dir)).toEqual([]);
    const loaded = await loadClusteredLayers(saved.modelJsonPath);
    const x = tf.tensor2d(seededValues(40, 9), [2, 20]);
    const expected = (model.predict(x) as tf.Tensor).dataSync();
    expect((loaded.model.predict(x) as tf.Tensor).dataSync()).toEqual(expected);
    expect(Object.values(loaded.weightBits)).toEqual([3]);
    expect((loaded.meta.shrinkml as { clustered: { weights: unknown[] } }).clustered.weights).toHaveLength(1);
    // shrinkml's own loader expands it (so inspect/eval read it); stock tfjs refuses it by name instead of
    // misreading it, and the IOHandler wrapper decodes it.
    const viaLoadModel = await loadModel(saved.modelJsonPath);
    expect((viaLoadModel.model.predict(x) as tf.Tensor).dataSync()).toEqual(expected);
    const artifacts = (await import('node:fs')).readFileSync(saved.modelJsonPath, 'utf8');
    const json = JSON.parse(artifacts);
    const data = (await import('node:fs')).readFileSync(saved.weightFiles[0]!);
    const memory = () => tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    });
    await expect(tf.loadLayersModel(memory())).rejects.toThrow();
    const viaHandler = await tf.loadLayersModel(withClusterDecoding(memory()));
    expect((viaHandler.predict(x) as tf.Tensor).dataSync()).toEqual(expected);
    tf.dispose([x]);
    for (const m of [model, loaded.model, viaHandler, viaLoadModel.model]) m.dispose();
  });
});
