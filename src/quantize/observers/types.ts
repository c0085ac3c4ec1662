import type * as tf from '@tensorflow/tfjs';

/** A real-valued range chosen for an activation tensor (before it is widened to contain 0). */
export interface Range { min: number; max: number }

/**
 * Streams statistics of one activation tensor batch by batch (never keeping the batches) and turns them into a
 * clip range. collect() may read a few numbers or a histogram back from the device, never the whole batch.
 */
export interface Observer {
  readonly name: ObserverName;
  collect(batch: tf.Tensor): Promise<void>;
  /** The range to quantize with; the observed min/max when nothing better is known. Throws before any collect. */
  compute(): Range;
}

export type ObserverName = 'minmax' | 'moving-average' | 'percentile' | 'entropy' | 'mse';

/** Options of every observer (each reads the ones it knows); data, so configs can carry them. */
export interface ObserverOptions {
  /** percentile: the upper percentile kept, in (50, 100]; the lower one is 100 - p. Default 99.99. */
  percentile?: number;
  /** Histogram observers: bins of the streaming histogram. Default 2048. */
  bins?: number;
  /** moving-average: weight of each new batch's min/max. Default 0.01. */
  averagingConstant?: number;
  /** entropy: quantization levels the clip is searched for; default 128 (256 for data that is never negative). */
  levels?: number;
  /** entropy: the largest fraction of values a clip may cut, in [0, 1). Default 0.001. */
  maxClipped?: number;
}

/** One entry of the observer registry. */
export interface ObserverFactory {
  name: ObserverName;
  description: string;
  create(options?: ObserverOptions): Observer;
}
