import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { Dataset } from './types.js';

/** A model input shape as tfjs reports it: the batch dimension first (null or -1), then fixed sizes. */
export type InputShape = readonly (number | null | undefined)[];

/** How dataset samples (stored HWC or flat) become a model's input. */
export interface LayoutPlan {
  /** The model's per-sample shape. */
  target: number[];
  /** 'flat' [F], 'hw' [H,W], 'nhwc' [H,W,C] or 'nchw' [C,H,W]. */
  layout: 'flat' | 'hw' | 'nhwc' | 'nchw';
  /** The shape the stored values are viewed as before any transpose. */
  view: number[];
  /** True when channels must move first (NCHW with more than one channel). */
  transpose: boolean;
}

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const fmt = (s: InputShape) => `[${s.map((d) => (d == null || d < 0 ? 'null' : d)).join(',')}]`;

/**
 * Decides how a dataset maps onto a model input shape such as [null,784], [null,28,28,1] or [null,1,28,28].
 * A rank-4 input is channels-last unless its last dimension is larger than 4 while its first is at most 4.
 */
export function planLayout(dataset: Pick<Dataset, 'name' | 'sampleShape'>, inputShape: InputShape): LayoutPlan {
  const sample = dataset.sampleShape;
  const incompatible = (why: string) => new ShrinkmlError('BAD_INPUT',
    `data '${dataset.name}' has samples of shape [${sample.join(',')}] (${product(sample)} values) but the model input is ${fmt(inputShape)}: ${why}`,
    { subject: dataset.name });
  const target = inputShape.slice(1);
  if (inputShape.length < 2 || target.some((d) => d == null || !Number.isInteger(d) || d <= 0)) {
    throw incompatible('the input must be a batch dimension followed by fixed sizes');
  }
  const t = target as number[];
  if (product(t) !== product(sample)) throw incompatible('the number of values differs');
  const channels = sample.length === 3 ? sample[2]! : 1;
  if (t.length === 1) return { target: t, layout: 'flat', view: t, transpose: false };
  if (t.length === 2) {
    if (channels !== 1) throw incompatible('a rank-2 input needs single-channel samples');
    if (sample.length >= 2 && (sample[0] !== t[0] || sample[1] !== t[1])) throw incompatible('height and width differ');
    return { target: t, layout: 'hw', view: t, transpose: false };
  }
  if (t.length !== 3) throw incompatible(`rank-${t.length + 1} inputs are not supported (use [N,F], [N,H,W,C] or [N,C,H,W])`);
  const nchw = t[2]! > 4 && t[0]! <= 4;
  const hwc = nchw ? [t[1]!, t[2]!, t[0]!] : t;
  if (sample.length === 3 && sample.join(',') !== hwc.join(',')) {
    throw incompatible(`expected samples of height × width × channels [${hwc.join(',')}]`);
  }
  if (sample.length === 2 && (hwc[2] !== 1 || sample[0] !== hwc[0] || sample[1] !== hwc[1])) {
    throw incompatible(`expected samples of height × width [${hwc.slice(0, 2).join(',')}] with one channel`);
  }
  // Flat samples are read as HWC; with one channel NCHW and NHWC share a memory order, so no transpose.
  return { target: t, layout: nchw ? 'nchw' : 'nhwc', view: hwc, transpose: nchw && hwc[2]! > 1 };
}

/** Builds a model input tensor of `n` samples from HWC/flat values (copied: tfjs's cpu backend keeps the array). */
export function inputTensor(values: Float32Array, n: number, plan: LayoutPlan): tf.Tensor {
  // Without a transpose the stored order already is the target order (flat, HW, HWC, or CHW with one channel).
  if (!plan.transpose) return tf.tensor(values.slice(), [n, ...plan.target], 'float32');
  const t = tf.tensor(values.slice(), [n, ...plan.view], 'float32');
  const moved = tf.transpose(t, [0, 3, 1, 2]);
  t.dispose();
  return moved;
}

/**
 * Samples [start, end) of a dataset shaped for a model whose input shape is `inputShape`. The caller owns (and
 * disposes) the tensor. Throws BAD_INPUT naming the dataset when the shapes cannot match.
 */
export function toModelInput(dataset: Dataset, inputShape: InputShape, range: { start?: number; end?: number } = {}): tf.Tensor {
  const start = range.start ?? 0;
  const end = Math.min(range.end ?? dataset.count, dataset.count);
  if (!(start >= 0 && start < end)) {
    throw new ShrinkmlError('BAD_INPUT', `data '${dataset.name}': empty or invalid range [${start}, ${end}) of ${dataset.count} samples`, { subject: dataset.name });
  }
  const plan = planLayout(dataset, inputShape);
  const size = product(dataset.sampleShape);
  return inputTensor(dataset.x.subarray(start * size, end * size), end - start, plan);
}
