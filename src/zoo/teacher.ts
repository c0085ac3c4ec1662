import * as tf from '@tensorflow/tfjs';
import { seededInit } from './init.js';
import type { Architecture } from './types.js';

/** Conv → BN → ReLU. The convolutions carry no bias: BatchNormalization's beta makes it redundant. */
function convBlock(init: ReturnType<typeof seededInit>, name: string, filters: number, first = false): tf.layers.Layer[] {
  return [
    tf.layers.conv2d({
      name, filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init.kernel(),
      ...(first ? { inputShape: [28, 28, 1] } : {}),
    }),
    tf.layers.batchNormalization({ name: `${name}_bn` }),
    tf.layers.activation({ name: `${name}_relu`, activation: 'relu' }),
  ];
}

export const teacher: Architecture = {
  name: 'mnist-teacher',
  description: 'A larger CNN (conv32-conv32-pool-conv64-conv64-pool-dense256-dense10, BN) for distillation, ≥ 99.0%',
  inputShape: [28, 28, 1],
  targetAccuracy: 0.99,
  defaultEpochs: 8,
  build(seed) {
    const init = seededInit(seed);
    return tf.sequential({
      name: 'mnist-teacher',
      layers: [
        ...convBlock(init, 'conv1', 32, true),
        ...convBlock(init, 'conv2', 32),
        tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
        ...convBlock(init, 'conv3', 64),
        ...convBlock(init, 'conv4', 64),
        tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
        tf.layers.flatten({ name: 'flatten' }),
        tf.layers.dense({ name: 'fc1', units: 256, activation: 'relu', kernelInitializer: init.kernel() }),
        tf.layers.dense({ name: 'fc2', units: 10, activation: 'softmax', kernelInitializer: init.kernel() }),
      ],
    });
  },
};
