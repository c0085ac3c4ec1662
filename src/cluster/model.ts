import * as tf from '@tensorflow/tfjs';
import { readAll } from '../core/read.js';
import type { WarnFn } from '../core/progress.js';
import { layersModelTargets, matchesAny, type LayerMatcher, type PrunableWeight } from '../prune/targets.js';
import { clusterValues, shareCentroids, type ClusteredWeight } from './share.js';

export interface ClusterOverride {
  /** Layer name or pattern. */
  match: LayerMatcher;
  clusters: number;
}

export interface ClusterModelOptions {
  model: tf.LayersModel;
  /** Codes per weight, zero code included: 16–64 is the useful range (4–6 bit indices). */
  clusters: number;
  /** Layers clustered with their own count (the budget search relaxes sensitive layers this way). */
  overrides?: ClusterOverride[];
  /** Layers left in float32. */
  exclude?: LayerMatcher[];
  onWarn?: WarnFn;
}

/**
 * Weight sharing in place: the kernels of Dense/Conv layers (the weights pruning acts on; biases and
 * normalisation stay float) are replaced by their k-means centroids. Returns the clustering of each weight.
 */
export async function clusterModel(options: ClusterModelOptions): Promise<ClusteredWeight[]> {
  const targets = layersModelTargets(options.model, options.exclude);
  if (targets.length === 0) options.onWarn?.(`model '${options.model.name}': no Dense/Conv kernels to cluster after exclusions`);
  const all = await readAll(targets.map((t) => t.read()));
  return targets.map((t, k) => {
    const override = options.overrides?.find((o) => matchesAny(t.layer, [o.match]));
    const values = all[k]!;
    const w = clusterValues({ name: t.name, shape: t.shape, values, clusters: override?.clusters ?? options.clusters });
    writeExpanded(t, shareCentroids(w, values));
    return w;
  });
}

function writeExpanded(t: PrunableWeight, values: Float32Array): void {
  tf.tidy(() => t.write(tf.tensor(values, t.shape, 'float32')));
}

/**
 * Keeps weights shared while training: after every optimizer step each centroid moves to the mean of its
 * members and the members are set back to it (the pinned zero stays 0). Call `afterBatch` from the training loop
 * (trainSeeded's onBatchEnd), or use `callback()` as a tfjs callback for fit() and distill().
 */
export class SharedCentroids {
  private readonly targets: PrunableWeight[];

  constructor(private readonly model: tf.LayersModel, readonly weights: ClusteredWeight[]) {
    const byName = new Set(weights.map((w) => w.name));
    this.targets = layersModelTargets(model).filter((t) => byName.has(t.name));
  }

  async afterBatch(): Promise<void> {
    const all = await readAll(this.targets.map((t) => t.read()));
    this.targets.forEach((t, k) => {
      const w = this.weights.find((c) => c.name === t.name)!;
      writeExpanded(t, shareCentroids(w, all[k]!));
    });
  }

  callback(): tf.CustomCallbackArgs {
    return { onBatchEnd: () => this.afterBatch() };
  }
}
