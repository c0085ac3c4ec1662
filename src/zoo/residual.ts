import * as tf from '@tensorflow/tfjs';
import { seededInit } from './init.js';
import type { Architecture } from './types.js';

export const residual: Architecture = {
  name: 'mnist-residual',
  description: 'A functional MLP with a residual Add: 784→128 relu, 128→128 relu, Add(skip), →10 softmax',
  inputShape: [784],
  targetAccuracy: 0.975,
  defaultEpochs: 10,
  build(seed) {
    const init = seededInit(seed);
    const input = tf.input({ name: 'pixels', shape: [784] });
    const h1 = tf.layers.dense({ name: 'fc1', units: 128, activation: 'relu', kernelInitializer: init.kernel() }).apply(input) as tf.SymbolicTensor;
    const h2 = tf.layers.dense({ name: 'fc2', units: 128, activation: 'relu', kernelInitializer: init.kernel() }).apply(h1) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'skip' }).apply([h1, h2]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init.kernel() }).apply(sum) as tf.SymbolicTensor;
    return tf.model({ name: 'mnist-residual', inputs: input, outputs: out });
  },
};
