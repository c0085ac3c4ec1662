import * as tf from '@tensorflow/tfjs';
import type { PrunableWeight } from './targets.js';

/** Keep-masks by weight name: 1 = kept, 0 = pruned. */
export type MaskMap = Map<string, Uint8Array>;

/** Zero the pruned entries of each weight in place. */
export function applyMasks(weights: PrunableWeight[], masks: MaskMap): void {
  for (const w of weights) {
    const mask = masks.get(w.name);
    if (!mask) continue;
    tf.tidy(() => w.write(tf.mul(w.read(), tf.tensor(mask, w.shape, 'float32'))));
  }
}

/** Fraction of zeros in a mask. */
export function maskSparsity(mask: Uint8Array): number {
  let zeros = 0;
  for (const v of mask) if (v === 0) zeros++;
  return mask.length ? zeros / mask.length : 0;
}
