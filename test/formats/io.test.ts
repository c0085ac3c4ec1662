import * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveLayersModel } from '../../src/formats/index.js';
import type { LoadedLayersModel } from '../../src/formats/types.js';
import { buildFixtureModel, FIXTURE_KINDS, fixtureInput, writeFixtureModel } from '../fixtures/models.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await makeTmpDir();
});
afterAll(() => removeTmpDir(tmp));

async function predict(model: tf.LayersModel): Promise<Float32Array> {
  const x = fixtureInput();
  const y = model.predict(x) as tf.Tensor;
  const data = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return data;
}

describe('tfjs-layers round trip', () => {
  it.each(FIXTURE_KINDS)('%s: save → load gives identical weights and predictions', async (kind) => {
    const model = buildFixtureModel(kind, 7);
    const out = path.join(tmp, `rt-${kind}`);
    const saved = await saveLayersModel(model, out);
    expect(saved.weightFiles.map((f) => path.basename(f))).toEqual(['group1-shard1of1.bin']);
    const loaded = await loadModel(out) as LoadedLayersModel;
    expect(loaded.kind).toBe('layers');
    expect(loaded.descriptorPath).toBe(path.join(out, 'model.json'));
    const before = await predict(model);
    const after = await predict(loaded.model);
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(before.some((v) => v !== 0)).toBe(true);
    const layerTypes = loaded.model.layers.map((l) => l.getClassName());
    if (kind === 'functional-add') expect(layerTypes).toContain('Add');
    if (kind === 'functional-concat') expect(layerTypes).toContain('Concatenate');
    model.dispose();
    loaded.model.dispose();
  });

  it('saves to and loads from a .json path with any file name', async () => {
    const model = buildFixtureModel('sequential', 3);
    const out = path.join(tmp, 'named', 'my-net.json');
    const saved = await saveLayersModel(model, out, { shrinkml: { step: 'test' } });
    expect(saved.weightFiles).toEqual([path.join(tmp, 'named', 'my-net.bin')]);
    const loaded = await loadModel(out);
    expect(loaded.meta.shrinkml).toEqual({ step: 'test' });
    expect(loaded.meta.weightDtypes).toEqual({ float32: 4 });
    expect(Array.from(await predict(loaded.model as tf.LayersModel))).toEqual(Array.from(await predict(model)));
    model.dispose();
    loaded.model.dispose();
  });

  it('loads weights spread over several shard files', async () => {
    const dir = path.join(tmp, 'sharded');
    const fixture = await writeFixtureModel({ kind: 'functional-add', dir, shards: 3 });
    expect(fixture.weightFiles.map((f) => path.basename(f))).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    const loaded = await loadModel(dir);
    expect(loaded.weightFiles).toEqual(fixture.weightFiles);
    const reference = buildFixtureModel('functional-add');
    expect(Array.from(await predict(loaded.model as tf.LayersModel))).toEqual(Array.from(await predict(reference)));
    reference.dispose();
    loaded.model.dispose();
  });

  it('loads a manifest with several weight groups', async () => {
    const dir = path.join(tmp, 'groups');
    await writeFixtureModel({ kind: 'sequential', dir });
    // Split the single group into one group per layer, each in its own shard, as converters sometimes do.
    const jsonPath = path.join(dir, 'model.json');
    const json = JSON.parse(await fsp.readFile(jsonPath, 'utf8'));
    const data = await fsp.readFile(path.join(dir, 'group1-shard1of1.bin'));
    const weights = json.weightsManifest[0].weights as { name: string; shape: number[] }[];
    let at = 0;
    json.weightsManifest = [];
    for (const [g, group] of [weights.slice(0, 2), weights.slice(2)].entries()) {
      const bytes = group.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
      const name = `group${g + 1}-shard1of1.bin`;
      await fsp.writeFile(path.join(dir, name), data.subarray(at, at + bytes));
      at += bytes;
      json.weightsManifest.push({ paths: [name], weights: group });
    }
    await fsp.writeFile(jsonPath, JSON.stringify(json));
    const loaded = await loadModel(dir);
    expect(loaded.weightFiles.map((f) => path.basename(f))).toEqual(['group1-shard1of1.bin', 'group2-shard1of1.bin']);
    const reference = buildFixtureModel('sequential');
    expect(Array.from(await predict(loaded.model as tf.LayersModel))).toEqual(Array.from(await predict(reference)));
    reference.dispose();
    loaded.model.dispose();
  });

  it.each([['uint8'], ['uint16'], ['float16']] as const)('%s quantized manifest loads with tf.io.decodeWeights semantics', async (encoding) => {
    const dir = path.join(tmp, `q-${encoding}`);
    await writeFixtureModel({ kind: 'functional-concat', dir, quantize: encoding });
    const json = JSON.parse(await fsp.readFile(path.join(dir, 'model.json'), 'utf8'));
    const specs = json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
    expect(specs.every((s) => s.quantization?.dtype === encoding)).toBe(true);
    const bytes = await fsp.readFile(path.join(dir, 'group1-shard1of1.bin'));
    const expected = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs);

    const loaded = await loadModel(dir) as LoadedLayersModel;
    expect(loaded.weightSpecs).toEqual(specs);
    expect(loaded.meta.weightDtypes).toEqual({ [encoding]: 6 });
    const original = buildFixtureModel('functional-concat');
    for (const w of loaded.model.weights) {
      const got = w.read().dataSync();
      expect(Array.from(got)).toEqual(Array.from(expected[w.originalName].dataSync()));
      // And the stored values are close to the float originals: within half a quantization step.
      const ref = original.weights.find((o) => o.originalName === w.originalName)!.read().dataSync();
      const spec = specs.find((s) => s.name === w.originalName)!;
      const tolerance = spec.quantization!.scale ? spec.quantization!.scale / 2 + 1e-7 : 1e-3;
      got.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(tolerance));
    }
    tf.dispose(Object.values(expected));
    original.dispose();
    loaded.model.dispose();
  });

  it('loads the tensorflowjs_converter layout (topology under model_config, two shards)', async () => {
    const dir = path.join(tmp, 'converter');
    await writeFixtureModel({ kind: 'functional-add', dir, shards: 2 });
    const jsonPath = path.join(dir, 'model.json');
    const json = JSON.parse(await fsp.readFile(jsonPath, 'utf8'));
    json.modelTopology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: json.modelTopology };
    json.generatedBy = 'keras v2.15.0';
    json.convertedBy = 'TensorFlow.js Converter v4.22.0';
    await fsp.writeFile(jsonPath, JSON.stringify(json));
    const loaded = await loadModel(dir);
    expect(loaded.meta.convertedBy).toBe('TensorFlow.js Converter v4.22.0');
    const reference = buildFixtureModel('functional-add');
    expect(Array.from(await predict(loaded.model as tf.LayersModel))).toEqual(Array.from(await predict(reference)));
    reference.dispose();
    loaded.model.dispose();
  });

  it('does not grow the tensor count across load and dispose', async () => {
    const dir = path.join(tmp, 'memory');
    await writeFixtureModel({ kind: 'functional-add', dir, shards: 2, quantize: 'uint8' });
    const warm = await loadModel(dir);
    warm.model.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const loaded = await loadModel(dir);
      await predict(loaded.model as tf.LayersModel);
      loaded.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
