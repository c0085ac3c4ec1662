import * as tf from '@tensorflow/tfjs';
import { seededInit } from './init.js';
import type { Architecture } from './types.js';

export const lenet300100: Architecture = {
  name: 'mnist-lenet-300-100',
  description: 'LeNet-300-100: a 784-300-100-10 ReLU MLP with softmax output',
  inputShape: [784],
  targetAccuracy: 0.98,
  defaultEpochs: 10,
  build(seed) {
    const init = seededInit(seed);
    return tf.sequential({
      name: 'mnist-lenet-300-100',
      layers: [
        tf.layers.dense({ name: 'fc1', inputShape: [784], units: 300, activation: 'relu', kernelInitializer: init.kernel() }),
        tf.layers.dense({ name: 'fc2', units: 100, activation: 'relu', kernelInitializer: init.kernel() }),
        tf.layers.dense({ name: 'fc3', units: 10, activation: 'softmax', kernelInitializer: init.kernel() }),
      ],
    });
  },
};
