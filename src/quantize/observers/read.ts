import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../core/errors.js';
import type { Range } from './types.js';

/** min and max of a batch, read back as two numbers. Non-finite values are an error: they have no range. */
export async function batchRange(x: tf.Tensor, observer: string): Promise<Range> {
  const both = tf.tidy(() => tf.stack([tf.min(x), tf.max(x)]));
  const [min, max] = await both.data();
  both.dispose();
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new ShrinkmlError('NON_FINITE', `observer ${observer}: activations contain NaN or Infinity (range [${min}, ${max}])`);
  }
  return { min: min!, max: max! };
}

/** Running min/max over everything collected, shared by the observers (results never leave this range). */
export class SeenRange {
  min = Infinity;
  max = -Infinity;

  add(r: Range): void {
    this.min = Math.min(this.min, r.min);
    this.max = Math.max(this.max, r.max);
  }

  get empty(): boolean {
    return this.min > this.max;
  }

  require(observer: string): Range {
    if (this.empty) throw new ShrinkmlError('INTERNAL', `observer ${observer}: compute() called before any collect()`);
    return { min: this.min, max: this.max };
  }

  clamp(r: Range): Range {
    return { min: Math.min(Math.max(r.min, this.min), this.max), max: Math.max(Math.min(r.max, this.max), this.min) };
  }
}
