import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../core/errors.js';
import type { WarnFn } from '../../core/progress.js';
import { buildDependencyGraph, type ChannelGroup, type DependencyGraph } from '../../graph/dependency.js';
import { getImportance } from '../importance/index.js';
import type { SparsityOverride } from '../magnitude.js';
import { seededRandom } from '../rng.js';
import { countToPrune, keepAllButLowest } from '../select.js';
import { matchesAny, type LayerMatcher } from '../targets.js';
import { RECIPE_FORMAT, type StructuredRecipe } from './recipe.js';
import { slicesAlong, weightsByRole } from './weights.js';

export interface StructuredPlanOptions {
  model: tf.LayersModel;
  /** Fraction of each group's channels to remove, in [0, 1). */
  ratio: number;
  /** l1 (default), l2 or random. */
  criterion?: string;
  seed?: number;
  /** Layers never changed: every group that touches one stays whole. */
  exclude?: LayerMatcher[];
  /** Per-group ratio, matched against the group's producer layers. */
  overrides?: SparsityOverride[];
  /** Never keep fewer channels than this in a group (default 1). */
  minChannels?: number;
  /** Fold the constant output of removed channels into the next layer's bias (default true). */
  foldConstants?: boolean;
  onWarn?: WarnFn;
}

export interface StructuredPlan {
  recipe: StructuredRecipe;
  dependency: DependencyGraph;
}

/** Channel scores of a group: every producer's out-bound weight slices, combined by the criterion. */
async function groupScores(model: tf.LayersModel, dep: DependencyGraph, group: ChannelGroup, criterion: string, rnd: () => number): Promise<Float32Array> {
  const slices: Float32Array[][] = [];
  for (const b of dep.bindings) {
    if (b.kind !== 'out' || !group.producers.includes(b.layer) || b.role === 'bias') continue;
    if (dep.groupOf(b.layout.segments[0].space) !== group) continue;
    slices.push(await slicesAlong(weightsByRole(model, dep.graph, b.layer).get(b.role) as tf.Tensor, b.axis));
  }
  return getImportance(criterion).channelScores(slices, group.size, rnd);
}

/**
 * Rank channels in every cuttable group and decide which survive. Nothing is changed: the plan is a recipe,
 * which applyRecipe() turns into a new model (and --dry-run prints).
 */
export async function planStructured(options: StructuredPlanOptions): Promise<StructuredPlan> {
  const { model, ratio, criterion = 'l1', exclude = [], overrides = [], minChannels = 1 } = options;
  if (!(Number.isFinite(ratio) && ratio >= 0 && ratio < 1)) {
    throw new ShrinkmlError('BAD_INPUT', `structured pruning ratio ${ratio} is out of range [0, 1)`, {
      subject: '--prune', suggestion: 'e.g. structured:0.5 removes half of the channels of every group',
    });
  }
  getImportance(criterion);
  const dep = buildDependencyGraph(model);
  for (const w of dep.warnings) options.onWarn?.(w);
  const rnd = seededRandom(options.seed ?? 0);
  const recipe: StructuredRecipe = {
    format: RECIPE_FORMAT, version: 1, criterion, ratio, foldConstants: options.foldConstants !== false, groups: [], skipped: [],
  };
  for (const group of dep.groups) {
    const reasons = [...group.pinned];
    const excluded = group.layers.filter((l) => matchesAny(l, exclude));
    if (excluded.length) reasons.push(`excluded layer ${excluded.join(', ')}`);
    if (group.producers.length === 0) reasons.push('no layer creates these channels');
    if (reasons.length) {
      if (group.producers.length) recipe.skipped.push({ key: group.key, reasons });
      continue;
    }
    const override = overrides.find((o) => group.producers.some((p) => matchesAny(p, [o.match])));
    const r = override ? override.sparsity : ratio;
    const cut = Math.min(countToPrune(group.size, r), group.size - Math.min(minChannels, group.size));
    if (cut <= 0) continue;
    const keepMask = keepAllButLowest(await groupScores(model, dep, group, criterion, rnd), cut);
    const keep: number[] = [];
    keepMask.forEach((k, i) => { if (k) keep.push(i); });
    recipe.groups.push({ key: group.key, size: group.size, keep, layers: [...group.layers] });
  }
  return { recipe, dependency: dep };
}
