import * as tf from '@tensorflow/tfjs';
import type { TrainCallbacks } from '../../train/seeded.js';
import { settleRanges } from './layers.js';

/** A tfjs callback object (a tf.Callback subclass such as a mask-holding or pruning callback) or plain hooks. */
export type QatCallback = tf.Callback | tf.CustomCallbackArgs;

function isCallbackObject(cb: QatCallback): cb is tf.Callback {
  return typeof (cb as tf.Callback).setModel === 'function';
}

export interface SeededCallbacks {
  /** onTrainBegin, then the first epoch's onEpochBegin and onBatchBegin. */
  begin(): Promise<void>;
  /** The hooks trainSeeded calls; they run the rest of fit()'s sequence. */
  hooks: TrainCallbacks;
  end(): Promise<void>;
}

/**
 * tfjs callbacks inside trainSeeded's loop, which reports only the end of each batch and epoch: the begin events
 * are sent right after the end event before them, so callbacks see fit()'s order (onTrainBegin, onEpochBegin,
 * onBatchBegin, onBatchEnd, ..., onEpochEnd, onTrainEnd). A callback that sets model.stopTraining (early
 * stopping) ends training after the current epoch, as in fit().
 */
export function seededCallbacks(o: {
  callbacks: readonly QatCallback[];
  model: tf.LayersModel;
  epochs: number;
  samples: number;
  batchSize: number;
  validation: boolean;
}): SeededCallbacks {
  const list = new tf.CallbackList(o.callbacks.map((cb) => (isCallbackObject(cb) ? cb : new tf.CustomCallback(cb))));
  const steps = Math.ceil(o.samples / o.batchSize);
  list.setModel(o.model);
  list.setParams({
    epochs: o.epochs, samples: o.samples, batchSize: o.batchSize, steps, doValidation: o.validation,
    metrics: ['loss', 'acc', ...(o.validation ? ['val_acc'] : [])],
  });
  const startEpoch = async (epoch: number) => {
    await list.onEpochBegin(epoch);
    await list.onBatchBegin(0, { batch: 0, size: Math.min(o.batchSize, o.samples) });
  };
  return {
    async begin() {
      o.model.stopTraining = false;
      await list.onTrainBegin();
      await startEpoch(0);
    },
    hooks: {
      async onBatchEnd({ batch, loss }) {
        await settleRanges(o.model); // before callbacks look at the model, and before the next batch
        const size = Math.min(o.batchSize, o.samples - batch * o.batchSize);
        await list.onBatchEnd(batch, { batch, size, loss });
        if (batch + 1 < steps) await list.onBatchBegin(batch + 1, { batch: batch + 1, size: Math.min(o.batchSize, o.samples - (batch + 1) * o.batchSize) });
      },
      async onEpochEnd(log) {
        await list.onEpochEnd(log.epoch, { loss: log.loss, acc: log.acc, ...(log.valAcc !== undefined ? { val_acc: log.valAcc } : {}) });
        if (o.model.stopTraining) return 'stop';
        if (log.epoch + 1 < o.epochs) await startEpoch(log.epoch + 1);
      },
    },
    end: () => list.onTrainEnd(),
  };
}
