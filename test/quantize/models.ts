import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../src/data/types.js';
import { gaussian, uniform } from './helpers.js';

/** Seeded weights for every variable of a model (BatchNorm variances kept positive). */
export function seedWeights(model: tf.LayersModel, seed = 1): void {
  let s = seed;
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => {
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const short = w.originalName.split('/').pop();
      const v = short === 'moving_variance' ? uniform(n, 0.5, 2, s++)
        : short === 'gamma' ? uniform(n, 0.5, 1.5, s++)
          : gaussian(n, s++, short === 'kernel' ? 0.4 : 0.2);
      return tf.tensor(v, shape);
    });
    if (values.length) layer.setWeights(values);
    tf.dispose(values);
  }
}

/** 12 → 16 relu → 8 (linear, then a separate ReLU layer: fusable) → 3 softmax. */
export function mlp(seed = 1): tf.LayersModel {
  const model = tf.sequential({
    name: 'test-mlp',
    layers: [
      tf.layers.dense({ name: 'fc1', inputShape: [12], units: 16, activation: 'relu' }),
      tf.layers.dense({ name: 'fc2', units: 8 }),
      tf.layers.activation({ name: 'relu2', activation: 'relu' }),
      tf.layers.dense({ name: 'fc3', units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** LeNet-5 in miniature: conv → BN → ReLU → pool → conv(relu) → flatten → dense softmax, input [8, 8, 2]. */
export function cnn(seed = 1): tf.LayersModel {
  const model = tf.sequential({
    name: 'test-cnn',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.activation({ name: 'relu1', activation: 'relu' }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 6, kernelSize: 3, padding: 'valid', activation: 'relu' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc', units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** Functional: x → dense_a → bn → relu ─┐ add → head; x → dense_b ─┘ (BN and ReLU foldable inside a graph). */
export function functional(seed = 1): tf.LayersModel {
  const x = tf.input({ shape: [12], name: 'x' });
  const a = tf.layers.dense({ units: 8, name: 'dense_a' }).apply(x) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'bn_a' }).apply(a) as tf.SymbolicTensor;
  const r = tf.layers.reLU({ name: 'relu_a' }).apply(bn) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 8, name: 'dense_b', activation: 'hardSigmoid' }).apply(x) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'add' }).apply([r, b]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'head', activation: 'softmax' }).apply(sum) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: out, name: 'test-functional' });
  seedWeights(model, seed);
  return model;
}

/** A labelled synthetic dataset: labels are the argmax of a fixed linear map, so a model can learn them. */
export function synthetic(o: { count: number; sampleShape: number[]; split?: Dataset['split']; seed?: number; classes?: number }): Dataset {
  const size = o.sampleShape.reduce((a, b) => a * b, 1);
  const classes = o.classes ?? 3;
  const x = uniform(o.count * size, 0, 1, o.seed ?? 31);
  const map = gaussian(size * classes, 99);
  const labels = new Int32Array(o.count);
  for (let i = 0; i < o.count; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let j = 0; j < size; j++) s += (x[i * size + j]! - 0.5) * map[j * classes + c]!;
      if (s > bestScore) { bestScore = s; best = c; }
    }
    labels[i] = best;
  }
  return { name: 'synthetic', split: o.split ?? 'calibration', count: o.count, sampleShape: o.sampleShape, x, labels, classes, files: [] };
}

/** Largest |a − b| over two model outputs for the same input. */
export function maxDiff(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor))).dataSync()[0]!);
}
