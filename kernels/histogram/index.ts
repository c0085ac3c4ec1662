import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';

export const Histogram = 'Histogram';

export interface HistogramOptions {
  x: tf.Tensor;
  bins: number;
  /** Range of the bins; values outside land in the edge bins, NaN and ±Infinity are not counted. */
  min: number;
  max: number;
}

/** int32 [bins] counts of x's finite values over [min, max] (docs/numerics.md "Histogram"), for calibration. */
export function histogram(o: HistogramOptions): tf.Tensor1D {
  if (!Number.isInteger(o.bins) || o.bins < 1 || !(o.max > o.min) || !Number.isFinite(o.max - o.min)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/histogram: need bins >= 1 and finite min < max, got bins=${o.bins} [${o.min}, ${o.max}]`);
  }
  return tf.engine().runKernel(Histogram, { x: o.x }, { bins: o.bins, min: o.min, max: o.max }) as tf.Tensor1D;
}

export { histogramCpu, histogramWasm } from './kernels.js';
export { histogramRef, histogramScale } from './reference.js';
