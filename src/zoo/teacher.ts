import * as tf from '@tensorflow/tfjs';
import { seededInit } from './init.js';
import type { Architecture } from './types.js';

/** Conv → BN → ReLU. The convolutions carry no bias: BatchNormalization's beta makes it redundant. */
function convBlock(init: ReturnType<typeof seededInit>, name: string, filters: number, first = false): tf.layers.Layer[] {
  // 3×3 kernels keep the FLOPs low enough to train on 2 CPU cores in minutes per epoch.
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
  description: 'A larger CNN (conv16-pool-conv32-pool-dense128-dense10, BN; 3.4× LeNet-5\'s parameters and ~3× its FLOPs) for distillation, ≥ 99.0%',
  inputShape: [28, 28, 1],
  targetAccuracy: 0.99,
  defaultEpochs: 4,
  build(seed) {
    const init = seededInit(seed);
    return tf.sequential({
      name: 'mnist-teacher',
      layers: [
        ...convBlock(init, 'conv1', 16, true),
        tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
        ...convBlock(init, 'conv2', 32),
        tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
        tf.layers.flatten({ name: 'flatten' }),
        tf.layers.dense({ name: 'fc1', units: 128, activation: 'relu', kernelInitializer: init.kernel() }),
        tf.layers.dense({ name: 'fc2', units: 10, activation: 'softmax', kernelInitializer: init.kernel() }),
      ],
    });
  },
};
