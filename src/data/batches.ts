import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { inputTensor, planLayout, type InputShape } from './shape.js';
import type { Dataset } from './types.js';

export interface BatchOptions {
  batchSize: number;
  inputShape: InputShape;
  /** Sample order (e.g. a seeded permutation); default 0..count-1. */
  order?: Int32Array;
}

export interface Batch {
  /** Model input for this batch; disposed by the iterator when it advances or ends. */
  x: tf.Tensor;
  labels?: Int32Array;
  /** Position of the batch in the iteration: samples [start, end) of `order`. */
  start: number;
  end: number;
}

/** Input values per default batch: 2M floats (8 MB), a batch of 13 images at 224×224×3, 256 MNIST digits. */
const DEFAULT_BATCH_VALUES = 2 ** 21;

/**
 * The batch size when none is given: 256 samples, fewer where samples are large. A MobileNet's activations are
 * ~8× its input, so 256 photos at 224×224 would ask the wasm backend's heap for gigabytes (out-of-bounds memory).
 */
export function defaultBatchSize(dataset: Pick<Dataset, 'sampleShape'>): number {
  const size = dataset.sampleShape.reduce((a, b) => a * b, 1);
  return Math.max(1, Math.min(256, Math.floor(DEFAULT_BATCH_VALUES / Math.max(1, size))));
}

/**
 * Iterates a dataset in batches shaped for a model. Each batch's tensor lives until the next step (or the end of
 * the loop, `break` included), so a `for...of` loop cannot leak; clone what must outlive the step.
 */
export function* batches(dataset: Dataset, options: BatchOptions): Generator<Batch, void, undefined> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ShrinkmlError('BAD_INPUT', `batch size must be a positive integer, got ${batchSize}`, { subject: '--batch-size' });
  }
  const plan = planLayout(dataset, options.inputShape);
  const order = options.order;
  if (order && order.some((i) => i < 0 || i >= dataset.count)) {
    throw new ShrinkmlError('INTERNAL', `batch order for '${dataset.name}' has indices outside 0..${dataset.count - 1}`);
  }
  const total = order ? order.length : dataset.count;
  const size = dataset.sampleShape.reduce((a, b) => a * b, 1);
  let current: tf.Tensor | undefined;
  try {
    for (let start = 0; start < total; start += batchSize) {
      const end = Math.min(start + batchSize, total);
      const n = end - start;
      let values: Float32Array;
      let labels: Int32Array | undefined;
      if (order) {
        values = new Float32Array(n * size);
        labels = dataset.labels ? new Int32Array(n) : undefined;
        for (let i = 0; i < n; i++) {
          const s = order[start + i]!;
          values.set(dataset.x.subarray(s * size, (s + 1) * size), i * size);
          if (labels) labels[i] = dataset.labels![s]!;
        }
      } else {
        values = dataset.x.subarray(start * size, end * size);
        labels = dataset.labels?.subarray(start, end);
      }
      current?.dispose();
      current = inputTensor(values, n, plan);
      yield { x: current, labels, start, end };
    }
  } finally {
    current?.dispose();
  }
}
