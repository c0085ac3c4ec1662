import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadData, type Dataset } from '../../src/data/index.js';
import { evaluateAccuracy } from '../../src/train/index.js';
import { selectBackend } from '../../src/backends/index.js';
import { getArchitecture, renderModelsReadme, type ModelRecord } from '../../src/zoo/index.js';

const MODELS = join(import.meta.dirname, '../../models');
const records = JSON.parse(readFileSync(join(MODELS, 'manifest.json'), 'utf8')) as ModelRecord[];

/** Loads a committed folder straight from its files, independent of shrinkml's own loader. */
async function loadFolder(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const buffers = json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(join(dir, p)));
  const data = Buffer.concat(buffers);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  }));
}

describe('committed reference models', () => {
  let test: Dataset;
  beforeAll(async () => {
    // wasm (with our kernels) keeps the CNNs' 2,000-image check to seconds; the models load the same on any backend.
    await selectBackend({ backend: 'wasm' });
    test = await loadData({ source: 'mnist', split: 'test', limit: 2000 });
  });

  it('README.md is the rendering of manifest.json', () => {
    expect(readFileSync(join(MODELS, 'README.md'), 'utf8')).toBe(renderModelsReadme(records));
  });

  it.each(['mnist-lenet-300-100', 'mnist-residual', 'mnist-lenet5', 'mnist-teacher'])('%s is committed, meets its target and matches its architecture', async (name) => {
    const record = records.find((r) => r.name === name)!;
    const arch = getArchitecture(name);
    expect(record.testAccuracy).toBeGreaterThanOrEqual(arch.targetAccuracy);
    const model = await loadFolder(join(MODELS, name));
    expect(model.countParams()).toBe(record.parameters);
    const fresh = arch.build(0);
    expect(model.countParams()).toBe(fresh.countParams());
    fresh.dispose();
    expect(model.inputs[0]!.shape).toEqual([null, ...arch.inputShape]);
    // The first 2,000 test images are a little easier than the whole set; the model must not be worse on them.
    expect(await evaluateAccuracy(model, test)).toBeGreaterThanOrEqual(record.testAccuracy - 0.01);
    model.dispose();
  });
});
