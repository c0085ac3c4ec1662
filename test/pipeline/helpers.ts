import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { loadData } from '../../src/data/index.js';
import { saveLayersModel } from '../../src/formats/index.js';
import { trainSeeded } from '../../src/train/index.js';

/**
 * A small MNIST classifier (784 → 24 relu → 10 softmax) trained briefly on 2,000 images with a fixed seed, saved
 * to `dir/name`. Small enough for the cpu backend, trained enough that compression visibly costs accuracy.
 */
export async function saveTinyMnistModel(dir: string, name = 'tiny'): Promise<string> {
  const model = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [784], units: 24, activation: 'relu', name: 'fc1', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.dense({ units: 10, activation: 'softmax', name: 'fc2', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  ] });
  const train = await loadData({ source: 'mnist', split: 'train', limit: 2000 });
  await trainSeeded({ model, train, epochs: 2, batchSize: 64, seed: 1, learningRate: 3e-3 });
  const out = path.join(dir, name);
  await saveLayersModel(model, out);
  model.optimizer?.dispose();
  model.dispose();
  return out;
}

/** Data settings that keep pipeline tests fast: a few hundred samples per split. */
export const TINY_DATA = { source: 'mnist', trainLimit: 256, validationLimit: 300, calibrationSamples: 64 } as const;
