import * as tf from '@tensorflow/tfjs';
import type { CutHandler } from './types.js';

/**
 * Conv1D/2D/3D: `filters`; a constant input channel c contributes v_c · Σ_spatial K[..., c, o] at every position
 * (exact with 'valid' padding; with 'same' the zero border makes it approximate at the edges).
 */
export const convHandler: CutHandler = {
  classNames: ['Conv1D', 'Conv2D', 'Conv3D'],
  resize: (config, channels) => { config.filters = channels; },
  fold: ({ weights, removed, values }) => {
    const kernel = weights.get('kernel');
    if (!kernel || removed.length === 0) return null;
    return tf.tidy(() => {
      const r = kernel.rank;
      const spatialAxes = Array.from({ length: r - 2 }, (_, i) => i);
      const summed = tf.sum(tf.gather(kernel, removed, r - 2), spatialAxes); // [removed, out]
      return tf.matMul(tf.tensor2d(values, [1, values.length]), summed as tf.Tensor2D).reshape([-1]);
    });
  },
};

/** SeparableConv: `filters`; a constant channel passes the depthwise kernel (no bias there) then the pointwise one. */
export const separableHandler: CutHandler = {
  classNames: ['SeparableConv1D', 'SeparableConv2D'],
  resize: (config, channels) => { config.filters = channels; },
  fold: ({ weights, removed, values }) => {
    const dk = weights.get('depthwise_kernel');
    const pk = weights.get('pointwise_kernel');
    if (!dk || !pk || removed.length === 0 || dk.shape[dk.rank - 1] !== 1) return null;
    return tf.tidy(() => {
      const r = dk.rank;
      const spatialAxes = Array.from({ length: r - 2 }, (_, i) => i);
      const dsum = tf.sum(tf.gather(dk, removed, r - 2), [...spatialAxes, r - 1]); // [removed]
      const through = tf.mul(tf.tensor1d(values), dsum);
      const pw = tf.reshape(tf.gather(pk, removed, r - 2), [removed.length, -1]);
      return tf.matMul(through.reshape([1, -1]), pw).reshape([-1]);
    });
  },
};
