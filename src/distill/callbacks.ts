import * as tf from '@tensorflow/tfjs';

/** A tfjs callback object (tf.Callback subclass such as a pruning schedule) or a plain set of hooks. */
export type TrainingCallback = tf.Callback | tf.CustomCallbackArgs;

function isCallbackObject(cb: TrainingCallback): cb is tf.Callback {
  return typeof (cb as tf.Callback).setModel === 'function';
}

/**
 * The callbacks as one tf.CallbackList bound to the student, so anything written for model.fit() (pruning
 * schedules, QAT hooks, tf.callbacks.earlyStopping) runs unchanged inside the custom loop.
 */
export function callbackList(options: {
  callbacks: readonly TrainingCallback[];
  model: tf.LayersModel;
  epochs: number;
  samples: number;
  batchSize: number;
  steps: number;
}): tf.CallbackList {
  const list = new tf.CallbackList(options.callbacks.map((cb) => (isCallbackObject(cb) ? cb : new tf.CustomCallback(cb))));
  list.setModel(options.model);
  list.setParams({
    epochs: options.epochs, samples: options.samples, batchSize: options.batchSize, steps: options.steps,
    doValidation: true, metrics: ['loss', 'val_loss', 'val_acc'],
  });
  return list;
}
