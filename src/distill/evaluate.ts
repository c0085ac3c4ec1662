import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { batches } from '../data/batches.js';
import type { InputShape } from '../data/shape.js';
import type { Dataset } from '../data/types.js';
import type { LogitsFn } from './logits.js';

export interface LogitsEvaluation {
  /** Mean cross-entropy against the labels, computed from logits. */
  loss: number;
  accuracy: number;
}

/**
 * Logits of `logits` over a whole dataset in inference mode, row-major [count, classes] on the CPU side: a frozen
 * teacher's are computed once this way instead of once per epoch, and the device keeps no copy.
 */
export async function datasetLogits(options: {
  logits: LogitsFn; data: Dataset; inputShape: InputShape; batchSize?: number;
}): Promise<{ values: Float32Array; classes: number }> {
  const { data } = options;
  let values: Float32Array | null = null;
  let classes = 0;
  for (const b of batches(data, { batchSize: options.batchSize ?? 256, inputShape: options.inputShape })) {
    const z = tf.tidy(() => options.logits(b.x, false));
    const rows = await z.data() as Float32Array;
    if (!values) {
      classes = z.shape[1] ?? 0;
      if (z.rank !== 2 || classes < 1) {
        z.dispose();
        throw new ShrinkmlError('BAD_INPUT', `teacher output has shape [${z.shape}]; distillation needs [batch, classes]`);
      }
      values = new Float32Array(data.count * classes);
    }
    values.set(rows, b.start * classes);
    z.dispose();
  }
  return { values: values ?? new Float32Array(0), classes };
}

/** Cross-entropy and accuracy of a logits function over a labelled dataset, in inference mode, batch by batch. */
export async function evaluateLogits(options: {
  logits: LogitsFn; data: Dataset; inputShape: InputShape; batchSize?: number;
}): Promise<LogitsEvaluation> {
  const { data } = options;
  if (!data.labels) throw new ShrinkmlError('BAD_INPUT', `data '${data.name}' has no labels to validate against`, { subject: data.name });
  // Sums stay on the device: one read at the end instead of one per batch.
  let sums = tf.zeros([2]);
  try {
    for (const b of batches(data, { batchSize: options.batchSize ?? 256, inputShape: options.inputShape })) {
      const next = tf.tidy(() => {
        const z = options.logits(b.x, false);
        const y = tf.tensor1d(b.labels!, 'int32');
        const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(y, z.shape[1]!), tf.logSoftmax(z))));
        const correct = tf.sum(tf.equal(tf.argMax(z, -1).toInt(), y).toFloat());
        return tf.add(sums, tf.stack([nll, correct]));
      });
      sums.dispose();
      sums = next;
    }
    const [nll, correct] = await sums.data();
    return { loss: nll / data.count, accuracy: correct / data.count };
  } finally {
    sums.dispose();
  }
}
