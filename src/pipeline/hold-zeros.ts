import * as tf from '@tensorflow/tfjs';
import { readAll } from '../core/read.js';
import { applyMasks, type MaskMap } from '../prune/masks.js';
import { layersModelTargets, type PrunableWeight } from '../prune/targets.js';

/** What a mask is for, so it can be found again in another model built from the same layers. */
interface Held { layer: string; weight: string; shape: number[] }

const shortName = (name: string) => name.slice(name.lastIndexOf('/') + 1);

/**
 * Keeps the zeros of a pruned model at zero while a later step trains it (distillation, QAT): the masks are the
 * weights that are exactly zero now, re-applied after every optimizer step. Without it, one epoch of
 * distillation would undo the pruning.
 *
 * A tfjs Callback: `setModel` binds the masks to the model being trained by layer name, weight name (`kernel`,
 * `depthwise_kernel`, ...) and shape, so they also hold on a model rebuilt from the same layers, such as QAT's
 * fake-quant model (QatDense in place of Dense keeps the name and the kernel).
 */
export class ZeroHold extends tf.Callback {
  private targets: PrunableWeight[];
  private readonly masks: MaskMap = new Map();
  private readonly held = new Map<string, Held>();

  /** The zeros of `model` now (read without a synchronous read: see core/read.ts). */
  static async of(model: tf.LayersModel): Promise<ZeroHold> {
    const targets = layersModelTargets(model);
    return new ZeroHold(targets, await readAll(targets.map((t) => t.read())));
  }

  private constructor(targets: PrunableWeight[], weights: ArrayLike<number>[]) {
    super();
    this.targets = targets;
    for (const [k, t] of this.targets.entries()) {
      const values = weights[k]!;
      let zeros = 0;
      const mask = new Uint8Array(values.length);
      for (let i = 0; i < values.length; i++) {
        mask[i] = values[i] === 0 ? 0 : 1;
        if (!mask[i]) zeros++;
      }
      if (zeros > 0) {
        this.masks.set(t.name, mask);
        this.held.set(t.name, { layer: t.layer, weight: shortName(t.name), shape: t.shape });
      }
    }
    this.targets = this.targets.filter((t) => this.masks.has(t.name));
  }

  /** Whether there is anything to hold. */
  get active(): boolean {
    return this.masks.size > 0;
  }

  /** The layers whose masks are bound to the current model (after setModel: those found in it). */
  get layers(): string[] {
    return this.targets.map((t) => this.held.get(t.name)!.layer);
  }

  override setModel(model: tf.LayersModel): void {
    super.setModel(model);
    const targets: PrunableWeight[] = [];
    for (const [name, h] of this.held) {
      const layer = model.layers.find((l) => l.name === h.layer);
      const v = layer?.weights.find((w) => shortName(w.originalName) === h.weight && w.shape.join() === h.shape.join());
      if (!v) continue;
      targets.push({
        layer: h.layer, className: layer!.getClassName(), name, shape: h.shape, inputAxis: null,
        read: () => v.read(), write: (t) => v.write(t),
      });
    }
    this.targets = targets;
  }

  afterBatch(): void {
    if (this.active) applyMasks(this.targets, this.masks);
  }

  override async onBatchEnd(): Promise<void> {
    this.afterBatch();
  }

  /** This hold as a training callback (distill's and QAT's `callbacks`). */
  callback(): tf.Callback {
    return this;
  }
}
