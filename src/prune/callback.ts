import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { computeMagnitudeMasks, type SparsityOverride } from './magnitude.js';
import type { MaskMap } from './masks.js';
import { computeNMMasks } from './nm.js';
import type { PruningSchedule } from './schedules/types.js';
import { layersModelTargets, type LayerMatcher, type PrunableWeight } from './targets.js';

/** Sparsity schedule, which layers to prune, and how often to update the masks during model.fit. */
export interface PruningCallbackOptions {
  scope?: 'layer' | 'global';
  exclude?: LayerMatcher[];
  overrides?: SparsityOverride[];
  /**
   * The schedule's final sparsity: given, per-layer overrides ramp with the schedule (each reaches its own
   * sparsity when the schedule reaches this one) instead of applying in full at the first prune.
   */
  finalSparsity?: number;
  criterion?: string;
  seed?: number;
  /** Step count at the start of fit (resume a run); 0 by default. */
  initialStep?: number;
  /** Compute N:M masks instead of magnitude masks (the schedule then only says when). */
  nm?: { n: number; m: number };
  /** Masks to start from (e.g. a one-shot prune before fine-tuning); they are held until the schedule prunes. */
  initialMasks?: MaskMap;
}

/**
 * A tfjs Callback for `model.fit`: recomputes magnitude masks when the schedule says so (before the batch, as
 * TFMOT does) and re-applies them after every batch, so pruned weights are exactly 0 whatever the optimizer did.
 * No wrapper layers are added: the model stays a plain LayersModel throughout.
 */
export class PruningCallback extends tf.Callback {
  step: number;
  private targets: PrunableWeight[] = [];
  private masks = new Map<string, tf.Tensor>();
  private lastSparsity = 0;

  constructor(readonly schedule: PruningSchedule, private readonly options: PruningCallbackOptions = {}) {
    super();
    this.step = options.initialStep ?? 0;
  }

  override setModel(model: tf.LayersModel): void {
    super.setModel(model);
    this.targets = layersModelTargets(model, this.options.exclude);
    if (this.options.initialMasks && this.masks.size === 0) this.setMasks(this.options.initialMasks);
  }

  override async onBatchBegin(): Promise<void> {
    if (this.schedule.shouldPrune(this.step)) await this.updateMasks(this.schedule.sparsityAt(this.step));
  }

  override async onBatchEnd(): Promise<void> {
    this.applyMasks();
    this.step++;
  }

  /** Start of training outside `fit` (e.g. trainSeeded): prune if the schedule says so at the first step. */
  async begin(): Promise<void> {
    if (this.schedule.shouldPrune(this.step)) await this.updateMasks(this.schedule.sparsityAt(this.step));
  }

  /**
   * End of a batch outside `fit`: hold the masks, advance, and prepare the next step's masks (what `fit` does in
   * onBatchBegin of the next batch).
   */
  async afterBatch(): Promise<void> {
    this.applyMasks();
    this.step++;
    await this.begin();
  }

  private rampedOverrides(sparsity: number): SparsityOverride[] | undefined {
    const { overrides, finalSparsity } = this.options;
    if (!overrides || !finalSparsity) return overrides;
    const ramp = Math.min(1, sparsity / finalSparsity);
    return overrides.map((o) => ({ ...o, sparsity: o.sparsity * ramp }));
  }

  /** Recompute masks from the current weights at `sparsity` and apply them. */
  async updateMasks(sparsity: number): Promise<void> {
    if (!this.model) throw new ShrinkmlError('INTERNAL', 'pruningCallback: no model set (pass it to model.fit or call setModel)');
    const seed = (this.options.seed ?? 0) + this.step;
    const { nm, criterion } = this.options;
    const masks = await (nm
      ? computeNMMasks({ weights: this.targets, n: nm.n, m: nm.m, criterion, seed })
      : computeMagnitudeMasks({
        weights: this.targets, sparsity, scope: this.options.scope, overrides: this.rampedOverrides(sparsity), criterion, seed,
      }));
    this.setMasks(masks);
    this.lastSparsity = sparsity;
    this.applyMasks();
  }

  private setMasks(masks: MaskMap): void {
    for (const t of this.masks.values()) t.dispose();
    this.masks.clear();
    for (const w of this.targets) {
      const m = masks.get(w.name);
      if (m) this.masks.set(w.name, tf.keep(tf.tensor(m, w.shape, 'float32')));
    }
  }

  applyMasks(): void {
    tf.tidy(() => {
      for (const w of this.targets) {
        const m = this.masks.get(w.name);
        if (m) w.write(tf.mul(w.read(), m));
      }
    });
  }

  /** The sparsity the masks were last computed for. */
  get sparsity(): number {
    return this.lastSparsity;
  }

  /** Apply the masks a last time, release them, and hand back the (plain) model. */
  strip(): tf.LayersModel {
    this.applyMasks();
    this.dispose();
    return this.model;
  }

  dispose(): void {
    for (const t of this.masks.values()) t.dispose();
    this.masks.clear();
  }
}

/** A `model.fit` callback that prunes on `schedule`. */
export function pruningCallback(schedule: PruningSchedule, options: PruningCallbackOptions = {}): PruningCallback {
  return new PruningCallback(schedule, options);
}

/**
 * Finish pruning: apply the callback's masks one last time and free them. The model was never wrapped, so what
 * comes back is the same plain LayersModel, ready to save or to load in stock tfjs.
 */
export function stripPruning(model: tf.LayersModel, callback?: PruningCallback): tf.LayersModel {
  if (callback) {
    if (!callback.model) callback.setModel(model);
    callback.strip();
  }
  return model;
}
