import * as tf from '@tensorflow/tfjs';
import { applyMasks, type MaskMap } from '../prune/masks.js';
import { layersModelTargets, type PrunableWeight } from '../prune/targets.js';

/**
 * Keeps the zeros of a pruned model at zero while a later step trains it (distillation, QAT): the masks are the
 * weights that are exactly zero now, re-applied after every optimizer step. Without it, one epoch of
 * distillation would undo the pruning.
 */
export class ZeroHold {
  private readonly targets: PrunableWeight[];
  private readonly masks: MaskMap = new Map();

  constructor(model: tf.LayersModel) {
    this.targets = layersModelTargets(model);
    for (const t of this.targets) {
      const values = t.read().dataSync();
      let zeros = 0;
      const mask = new Uint8Array(values.length);
      for (let i = 0; i < values.length; i++) {
        mask[i] = values[i] === 0 ? 0 : 1;
        if (!mask[i]) zeros++;
      }
      if (zeros > 0) this.masks.set(t.name, mask);
    }
  }

  /** Whether there is anything to hold. */
  get active(): boolean {
    return this.masks.size > 0;
  }

  afterBatch(): void {
    if (this.active) applyMasks(this.targets, this.masks);
  }

  callback(): tf.CustomCallbackArgs {
    return { onBatchEnd: async () => this.afterBatch() };
  }
}
