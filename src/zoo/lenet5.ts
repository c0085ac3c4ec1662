import * as tf from '@tensorflow/tfjs';
import { seededInit } from './init.js';
import type { Architecture } from './types.js';

export const lenet5: Architecture = {
  name: 'mnist-lenet5',
  description: 'LeNet-5 style CNN with BatchNormalization, input [28,28,1]',
  inputShape: [28, 28, 1],
  targetAccuracy: 0.985,
  defaultEpochs: 8,
  build(seed) {
    const init = seededInit(seed);
    return tf.sequential({
      name: 'mnist-lenet5',
      layers: [
        tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', kernelInitializer: init.kernel() }),
        tf.layers.batchNormalization({ name: 'bn1' }),
        tf.layers.activation({ name: 'relu1', activation: 'relu' }),
        tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
        tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 5, padding: 'valid', kernelInitializer: init.kernel() }),
        tf.layers.batchNormalization({ name: 'bn2' }),
        tf.layers.activation({ name: 'relu2', activation: 'relu' }),
        tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
        tf.layers.flatten({ name: 'flatten' }),
        tf.layers.dense({ name: 'fc1', units: 120, activation: 'relu', kernelInitializer: init.kernel() }),
        tf.layers.dense({ name: 'fc2', units: 84, activation: 'relu', kernelInitializer: init.kernel() }),
        tf.layers.dense({ name: 'fc3', units: 10, activation: 'softmax', kernelInitializer: init.kernel() }),
      ],
    });
  },
};
