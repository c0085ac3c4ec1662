import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';

/** Computes class logits [batch, classes] for a batch of inputs; `training` enables dropout / batch statistics. */
export type LogitsFn = (x: tf.Tensor, training: boolean) => tf.Tensor;

export interface LogitsView {
  logits: LogitsFn;
  /** True when the model itself ends in a softmax and `logits` reads the tensor before it. */
  fromSoftmax: boolean;
}

const LINEAR = new Set(['linear', undefined, null]);

function activationOf(layer: tf.layers.Layer): string | undefined {
  const config = layer.getConfig() as { activation?: string };
  if (layer.getClassName() === 'Softmax') return 'softmax';
  return config.activation;
}

function onlyOne<T>(value: T | T[], what: string, subject: string): T {
  if (!Array.isArray(value)) return value;
  if (value.length !== 1) {
    throw new ShrinkmlError('UNSUPPORTED', `layer '${subject}' has ${value.length} ${what}; distillation needs one`, { subject });
  }
  return value[0];
}

/**
 * The model up to (not including) `layer`, sharing its layers and therefore its variables: training through it
 * trains the original model.
 */
function featuresOf(model: tf.LayersModel, layer: tf.layers.Layer): LogitsFn {
  const input = onlyOne(layer.input, 'inputs', layer.name);
  const modelInput = onlyOne(model.inputs, 'inputs', model.name);
  if (input === modelInput) return (x) => x;
  const sub = tf.model({ inputs: modelInput, outputs: input, name: `${model.name}_features` });
  return (x, training) => sub.apply(x, { training }) as tf.Tensor;
}

let linearActivation: unknown;

/**
 * Calls `layer` with its fused activation swapped for the identity, on its own variables (so gradients reach
 * them). Dense and Conv layers hold an Activation object, shrinkml's QAT layers a name; the swap is undone before
 * returning and nothing else runs in between (apply is synchronous).
 */
function withoutActivation(layer: tf.layers.Layer): LogitsFn {
  const holder = layer as unknown as { activation?: unknown };
  if (holder.activation === undefined) {
    throw new ShrinkmlError('UNSUPPORTED', `layer '${layer.name}' (${layer.getClassName()}) has a fused softmax; cannot read its logits`, {
      subject: layer.name, suggestion: 'end the model with a linear layer followed by a Softmax/Activation layer, or pass teacher logits',
    });
  }
  // tfjs does not export its Linear activation class; a default Dense layer holds one.
  linearActivation ??= (tf.layers.dense({ units: 1 }) as unknown as { activation: unknown }).activation;
  const linear = typeof holder.activation === 'string' ? 'linear' : linearActivation;
  return (h, training) => {
    const saved = holder.activation;
    holder.activation = linear;
    try {
      return layer.apply(h, { training }) as tf.Tensor;
    } finally {
      holder.activation = saved;
    }
  };
}

/**
 * How to get logits out of a single-output classifier without ever taking the log of a probability:
 * - last layer linear (Dense without activation, ...): the model output is already logits;
 * - last layer a Softmax or Activation('softmax') layer: the tensor feeding it;
 * - last layer with a fused 'softmax' activation (Dense, Conv, a QAT layer): the layers before it, then that
 *   layer called with its activation swapped for the identity.
 * Everything shares the model's variables, so it works for the student being trained as well as the teacher.
 */
export function logitsOf(model: tf.LayersModel): LogitsView {
  if (model.outputs.length !== 1) {
    throw new ShrinkmlError('UNSUPPORTED', `model '${model.name}' has ${model.outputs.length} outputs; distillation needs a single classifier output`, {
      subject: model.name,
    });
  }
  const last = model.layers[model.layers.length - 1];
  const activation = activationOf(last);
  if (LINEAR.has(activation)) {
    return { logits: (x, training) => model.apply(x, { training }) as tf.Tensor, fromSoftmax: false };
  }
  if (activation !== 'softmax') {
    throw new ShrinkmlError('UNSUPPORTED',
      `layer '${last.name}' ends the model with activation '${activation}'; distillation needs softmax or linear (logit) outputs`,
      { subject: last.name });
  }
  const features = featuresOf(model, last);
  const className = last.getClassName();
  if (className === 'Softmax' || className === 'Activation') return { logits: features, fromSoftmax: true };
  const linear = withoutActivation(last);
  return { logits: (x, training) => linear(features(x, training), training), fromSoftmax: true };
}
