import type * as tf from '@tensorflow/tfjs';

export interface FoldArgs {
  /** The layer's original weights by role. */
  weights: Map<string, tf.Tensor>;
  /** Kernel input indices being removed. */
  removed: number[];
  /** The constant each removed input carried (same order as `removed`). */
  values: Float32Array;
}

/**
 * How one layer class is cut. Weight slicing is generic (every bound weight axis is gathered to the kept
 * channels); a handler adds what is specific: the config field that states the channel count, and how the
 * constant output of removed input channels folds into this layer's bias. One file per class family.
 */
export interface CutHandler {
  classNames: string[];
  /** Write the new output channel count into the layer's JSON config (layers that infer it from input omit this). */
  resize?(config: Record<string, unknown>, channels: number): void;
  /** Bias change (full output length) equal to what the removed inputs contributed; null if they contributed nothing. */
  fold?(args: FoldArgs): tf.Tensor | null;
}
