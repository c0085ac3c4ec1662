import type * as tf from '@tensorflow/tfjs';

/** A reference architecture: a fixed name and a builder that gives identical initial weights for the same seed. */
export interface Architecture {
  name: string;
  description: string;
  /** Per-sample input shape (no batch dimension). */
  inputShape: number[];
  /** Test accuracy the architecture is expected to reach on MNIST when trained by scripts/train-models.ts. */
  targetAccuracy: number;
  /** Default number of training epochs in scripts/train-models.ts. */
  defaultEpochs: number;
  build(seed: number): tf.LayersModel;
}
