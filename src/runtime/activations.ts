import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';

/**
 * Activations an int8 layer can apply to its float output. tfjs-layers does not export its activation lookup,
 * so the common ones are listed here; a layer with any other activation stays float.
 */
const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softmax: (x) => tf.softmax(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
};

/** Whether an int8 layer can apply this Keras activation name (undefined means linear) after its int8 matmul/conv. */
export function isSupportedActivation(name: string | undefined): boolean {
  return name === undefined || name === null || name in ACTIVATIONS;
}

/** Applies a named activation; undefined/null means linear. */
export function applyActivation(name: string | undefined | null, x: tf.Tensor): tf.Tensor {
  const fn = ACTIVATIONS[name ?? 'linear'];
  if (!fn) throw new ShrinkmlError('UNSUPPORTED', `shrinkml/runtime: unsupported activation '${name}'`, { subject: String(name) });
  return fn(x);
}
