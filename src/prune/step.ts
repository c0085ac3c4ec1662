import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn, WarnFn } from '../core/progress.js';
import { pruningCallback } from './callback.js';
import { finetune, type FinetuneOptions } from './finetune.js';
import { pruneGraphModel } from './graph-model.js';
import type { SparsityOverride } from './magnitude.js';
import { compareSnapshots, snapshotModel, SPEED_NOTE_STRUCTURED, SPEED_NOTE_UNSTRUCTURED, type PruneReport } from './report.js';
import { ConstantSparsity } from './schedules/constant.js';
import type { PruningSchedule } from './schedules/types.js';
import { formatPruneSpec, parsePruneSpec, type PruneSpec } from './spec.js';
import { applyRecipe, cloneModel, planStructured } from './structured/index.js';
import type { LayerMatcher } from './targets.js';
import { pruneUnstructured } from './unstructured.js';

export interface PruneStepOptions {
  model: tf.LayersModel | tf.GraphModel;
  /** A parsed spec or its `--prune` text. */
  spec: PruneSpec | string;
  /** Layers left untouched (first and last layers are often kept dense). */
  exclude?: LayerMatcher[];
  /** Per-layer sparsity (unstructured) or per-group ratio (structured, matched on the producing layer). */
  overrides?: SparsityOverride[];
  /** Train after pruning (LayersModel only); unstructured masks are held so pruned weights stay zero. */
  finetune?: FinetuneOptions;
  /**
   * Unstructured with fine-tuning only: prune gradually on this schedule during training instead of one-shot
   * before it (e.g. a PolynomialDecay to the target).
   */
  schedule?: PruningSchedule;
  /** Plan and report, but hand back the input model unchanged (structured: the report carries the recipe). */
  dryRun?: boolean;
  seed?: number;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
}

export interface PruneStepResult {
  /** The pruned model (a new object; the input model is never changed). The input model itself on a dry run. */
  model: tf.LayersModel | tf.GraphModel;
  report: PruneReport;
}

function isLayersModel(model: tf.LayersModel | tf.GraphModel): model is tf.LayersModel {
  return Array.isArray((model as tf.LayersModel).layers);
}

/** The `--prune` step of `shrinkml compress`: prune, optionally fine-tune, and report before/after figures. */
export async function runPruneStep(options: PruneStepOptions): Promise<PruneStepResult> {
  const spec = typeof options.spec === 'string' ? parsePruneSpec(options.spec) : options.spec;
  const warnings: string[] = [];
  const warn: WarnFn = (m) => { warnings.push(m); options.onWarn?.(m); };
  const progress = (done: number, message: string): void => options.onProgress?.({ phase: 'prune', done, total: 2, message });
  const { model } = options;
  if (options.finetune && !isLayersModel(model)) {
    throw new ShrinkmlError('UNSUPPORTED', 'fine-tuning needs a Layers model; a graph model has weights but no trainable layers', { subject: '--finetune-epochs' });
  }
  const before = await snapshotModel(model);
  progress(0, `pruning ${formatPruneSpec(spec)}`);
  let pruned: tf.LayersModel | tf.GraphModel;
  let recipe: PruneReport['recipe'];
  let history: Awaited<ReturnType<typeof finetune>> | undefined;

  if (spec.kind === 'structured') {
    if (!isLayersModel(model)) {
      throw new ShrinkmlError('UNSUPPORTED', 'structured pruning needs a Layers model (it rewrites layers); this is a graph model', {
        subject: '--prune', suggestion: 'use magnitude:S or 2:4, which prune graph-model weights',
      });
    }
    const plan = await planStructured({
      model, ratio: spec.ratio, criterion: spec.criterion, exclude: options.exclude, overrides: options.overrides, seed: options.seed, onWarn: warn,
    });
    recipe = plan.recipe;
    pruned = await applyRecipe({ model, recipe, dependency: plan.dependency, onWarn: warn });
    if (options.finetune && !options.dryRun) history = await finetune(pruned, options.finetune, undefined, options.onProgress);
  } else if (!isLayersModel(model)) {
    pruned = await pruneGraphModel(model, { spec, exclude: options.exclude, overrides: options.overrides, seed: options.seed, onWarn: warn });
  } else {
    pruned = await cloneModel(model);
    const gradual = options.schedule && options.finetune && !options.dryRun;
    if (!gradual) await pruneUnstructured(pruned, { spec, exclude: options.exclude, overrides: options.overrides, seed: options.seed, onWarn: warn });
    if (options.finetune && !options.dryRun) {
      // One-shot masks are recomputed once at step 0 (identical: the pruned weights are the zeros) and then held.
      const schedule = gradual ? options.schedule! : new ConstantSparsity({ targetSparsity: spec.kind === 'magnitude' ? spec.sparsity : 0, endStep: 0 });
      const callback = pruningCallback(schedule, {
        scope: spec.kind === 'magnitude' ? spec.scope : undefined, criterion: spec.criterion, exclude: options.exclude,
        overrides: options.overrides, seed: options.seed, nm: spec.kind === 'nm' ? { n: spec.n, m: spec.m } : undefined,
        finalSparsity: gradual && spec.kind === 'magnitude' ? spec.sparsity : undefined,
      });
      try {
        history = await finetune(pruned, options.finetune, callback, options.onProgress);
      } finally {
        callback.strip();
      }
    }
  }
  const after = await snapshotModel(pruned);
  progress(1, 'measured');
  const report: PruneReport = {
    spec: formatPruneSpec(spec), method: spec.kind, dryRun: !!options.dryRun,
    ...compareSnapshots(before, after), recipe,
    finetune: history?.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, acc: e.acc, valAcc: e.valAcc, seconds: e.seconds })),
    speedNote: spec.kind === 'structured' ? SPEED_NOTE_STRUCTURED : SPEED_NOTE_UNSTRUCTURED,
    warnings,
  };
  progress(2, 'done');
  if (options.dryRun) {
    pruned.dispose();
    return { model, report };
  }
  return { model: pruned, report };
}
