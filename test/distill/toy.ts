import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../src/data/random.js';
import type { Dataset } from '../../src/data/types.js';
import { seededInit } from '../../src/zoo/index.js';

/** Three Gaussian blobs in 4 features (2 informative, 2 noise): small enough to train in well under a second. */
export const CENTRES = [[2, 0], [-1, 1.7], [-1, -1.7]];

export function toyData(count: number, seed: number, split: Dataset['split'] = 'train'): Dataset {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const x = new Float32Array(count * 4);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % 3;
    labels[i] = c;
    x.set([CENTRES[c][0] + 0.8 * gauss(), CENTRES[c][1] + 0.8 * gauss(), gauss(), gauss()], i * 4);
  }
  return { name: `toy-${split}`, split, count, sampleShape: [4], x, labels, classes: 3, files: [] };
}

/** A hand-set teacher: logits are 3·(x·centre) − const, close to the Bayes classifier for the blobs; softmax output. */
export function toyTeacher(): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax', name: 'teacher_out' })] });
  const kernel = tf.tensor2d([0, 1, 2, 3].map((f) => CENTRES.map((c) => (f < 2 ? 3 * c[f] : 0))));
  const bias = tf.tensor1d(CENTRES.map((c) => -1.5 * (c[0] ** 2 + c[1] ** 2)));
  model.setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);
  return model;
}

/** A small MLP student with seeded weights and a softmax output (so logitsOf must look before the softmax). */
export function toyStudent(seed: number, hidden = 8): tf.LayersModel {
  const init = seededInit(seed);
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: hidden, activation: 'relu', kernelInitializer: init.kernel(), name: 'h' }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init.kernel(), name: 'out' }),
    ],
  });
}

export function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}
