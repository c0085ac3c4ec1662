import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import { batches } from '../data/batches.js';
import type { InputShape } from '../data/shape.js';
import type { Dataset } from '../data/types.js';

/** Anything with a tfjs-style predict: LayersModel, GraphModel, or an adapter. */
export interface Predictor {
  predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  inputs?: { shape?: InputShape }[];
}

export interface EvaluateOptions {
  batchSize?: number;
  /** Overrides the model's own input shape (for predictors that do not report one). */
  inputShape?: InputShape;
  onProgress?: ProgressFn;
}

function firstOutput(out: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor {
  if (out instanceof tf.Tensor) return out;
  const list = Array.isArray(out) ? out : Object.values(out);
  if (!list[0]) throw new ShrinkmlError('BAD_INPUT', 'model produced no output');
  return list[0];
}

/** The model input shape a dataset will be shaped to. */
export function modelInputShape(model: Predictor, override?: InputShape): InputShape {
  const shape = override ?? model.inputs?.[0]?.shape;
  if (!shape) throw new ShrinkmlError('BAD_INPUT', 'the model does not report an input shape; pass inputShape');
  return shape;
}

/** Top-1 accuracy of a classifier on a labelled dataset, in [0, 1], batch by batch without leaking tensors. */
export async function evaluateAccuracy(model: Predictor, dataset: Dataset, options: EvaluateOptions = {}): Promise<number> {
  const labels = dataset.labels;
  if (!labels) {
    throw new ShrinkmlError('BAD_INPUT', `data '${dataset.name}' has no labels; accuracy needs labels`, {
      subject: dataset.files[0] ?? dataset.name, suggestion: 'pass inputs and labels as inputs.npy,labels.npy (or an IDX folder with labels files)',
    });
  }
  const inputShape = modelInputShape(model, options.inputShape);
  let correct = 0;
  for (const batch of batches(dataset, { batchSize: options.batchSize ?? 256, inputShape })) {
    const predicted = tf.tidy(() => {
      const y = firstOutput(model.predict(batch.x));
      if (y.rank !== 2) throw new ShrinkmlError('BAD_INPUT', `model output has shape [${y.shape.join(',')}]; accuracy needs [batch, classes]`);
      return tf.argMax(y, -1);
    });
    const ids = await predicted.data();
    predicted.dispose();
    for (let i = 0; i < ids.length; i++) if (ids[i] === labels[batch.start + i]) correct++;
    options.onProgress?.({ phase: 'evaluate', done: batch.end, total: dataset.count });
  }
  return correct / dataset.count;
}
