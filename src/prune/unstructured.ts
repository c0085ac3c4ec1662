import type * as tf from '@tensorflow/tfjs';
import type { WarnFn } from '../core/progress.js';
import { computeMagnitudeMasks, type SparsityOverride } from './magnitude.js';
import { applyMasks, type MaskMap } from './masks.js';
import { computeNMMasks } from './nm.js';
import type { PruneSpec } from './spec.js';
import { layersModelTargets, type LayerMatcher, type PrunableWeight } from './targets.js';

export interface UnstructuredOptions {
  spec: Extract<PruneSpec, { kind: 'magnitude' | 'nm' }>;
  exclude?: LayerMatcher[];
  overrides?: SparsityOverride[];
  seed?: number;
  onWarn?: WarnFn;
}

/** Masks for a spec over the given weights (nothing is written). */
export function masksForSpec(weights: PrunableWeight[], options: UnstructuredOptions): Promise<MaskMap> {
  const { spec } = options;
  if (spec.kind === 'nm') return computeNMMasks({ weights, n: spec.n, m: spec.m, criterion: spec.criterion, seed: options.seed, onWarn: options.onWarn });
  return computeMagnitudeMasks({
    weights, sparsity: spec.sparsity, scope: spec.scope, overrides: options.overrides, criterion: spec.criterion, seed: options.seed,
  });
}

/**
 * One-shot unstructured pruning of a LayersModel, in place: zero the selected weights of every prunable kernel.
 * The model's shapes do not change; only its gzip size does (see SPEED_NOTE_UNSTRUCTURED).
 */
export async function pruneUnstructured(model: tf.LayersModel, options: UnstructuredOptions): Promise<MaskMap> {
  const weights = layersModelTargets(model, options.exclude);
  if (weights.length === 0) options.onWarn?.(`model '${model.name}': no prunable kernels (Dense/Conv) after exclusions; nothing pruned`);
  const masks = await masksForSpec(weights, options);
  applyMasks(weights, masks);
  return masks;
}
