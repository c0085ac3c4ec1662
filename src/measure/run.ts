import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { predictInt8 } from '../runtime/fused.js';
import { executeGraph } from '../formats/graph.js';
import { tensorList } from '../formats/tensors.js';

export type AnyModel = tf.LayersModel | tf.GraphModel;

/** Duck-typed so a model built by a second copy of tfjs (a bundler's) is still recognised. */
export function isGraphModel(model: AnyModel): model is tf.GraphModel {
  return typeof (model as tf.GraphModel).executeAsync === 'function' && !('layers' in model);
}

/**
 * One forward pass: `predict` (the fused int8 path where it applies) for a LayersModel, `execute` (or `executeAsync` when the graph has dynamic ops)
 * for a GraphModel. The caller owns and must dispose the returned tensors.
 */
export async function runModel(model: AnyModel, inputs: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): Promise<tf.Tensor[]> {
  // Static int8 Layers models take the fused int8 path on wasm/cpu; everything else is plain predict.
  if (!isGraphModel(model)) return tensorList(predictInt8(model, byInputName(model, inputs)));
  return executeGraph(model, inputs);
}

/** A LayersModel takes its inputs in order: a feed by name is put in the order of `inputs` (a Sequential's inputNames stay empty until it is built). */
function byInputName(model: tf.LayersModel, inputs: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor | tf.Tensor[] {
  if (Array.isArray(inputs) || typeof (inputs as tf.Tensor).dataSync === 'function') return inputs as tf.Tensor | tf.Tensor[];
  const named = inputs as tf.NamedTensorMap;
  return model.inputs.map(({ name }) => {
    const t = named[name];
    if (!t) throw new ShrinkmlError('BAD_INPUT', `no input named '${name}' in the feed (given: ${Object.keys(named).join(', ')})`, { subject: name });
    return t;
  });
}

/** The concrete input shapes of a model at a batch size; a free dimension other than the batch is an error. */
export function inputShapes(model: AnyModel, batchSize: number, given?: number[]): number[][] {
  if (given) return [[batchSize, ...given]];
  const shapes = isGraphModel(model)
    ? model.inputs.map((i) => i.shape ?? [])
    : model.inputs.map((i) => i.shape as (number | null)[]);
  return shapes.map((shape, i) => shape.map((d, axis) => {
    if (axis === 0) return batchSize;
    if (d === null || d === undefined || d < 0) {
      throw new ShrinkmlError('BAD_INPUT', `model input ${i} has a free dimension at axis ${axis} (shape [${shape.join(', ')}])`, {
        // No command takes an input shape yet (the real-model issues add one): say what is wrong, advise nothing false.
        subject: `input ${i}`, suggestion: 'export the model with a fixed input shape (only the batch dimension may be free)',
      });
    }
    return d;
  }));
}
