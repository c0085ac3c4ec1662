import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../data/random.js';

/**
 * Seeded initializers: one independent stream per layer, so two builds with the same seed are identical and
 * layers of the same shape do not start from the same values (which one shared seed would give them).
 */
export function seededInit(seed: number) {
  let layer = 0;
  return {
    /** Glorot-uniform kernel initializer for the next layer. */
    kernel: () => tf.initializers.glorotUniform({ seed: deriveSeed(seed, layer++) }),
  };
}
