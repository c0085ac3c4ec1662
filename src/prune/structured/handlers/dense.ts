import * as tf from '@tensorflow/tfjs';
import type { CutHandler } from './types.js';

/** Dense: `units`; removed input row i contributed v_i · W[i, :] to every output. */
export const denseHandler: CutHandler = {
  classNames: ['Dense'],
  resize: (config, channels) => { config.units = channels; },
  fold: ({ weights, removed, values }) => {
    const kernel = weights.get('kernel');
    if (!kernel || removed.length === 0) return null;
    return tf.tidy(() => tf.matMul(tf.tensor2d(values, [1, values.length]), tf.gather(kernel, removed, 0)).reshape([-1]));
  },
};
