import * as tf from '@tensorflow/tfjs';
import { readAll } from '../../core/read.js';
import { keptIndices, layoutWidth } from '../../graph/channels/layout.js';
import type { DependencyGraph } from '../../graph/dependency.js';
import { roleOf } from '../../graph/build.js';

export type KeepFn = (space: number) => number[] | undefined;

/** Entries of 0..width−1 not in `kept` (both ascending). */
export function complement(kept: number[], width: number): number[] {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < width; i++) {
    if (j < kept.length && kept[j] === i) j++;
    else out.push(i);
  }
  return out;
}

/** A separate LayersModel with the same config and a copy of the weights (no optimizer). */
export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const clone = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] });
  clone.setWeights(model.getWeights());
  return clone;
}

/**
 * What each removed channel still feeds the layers after it. Once its producers' weights for that channel are
 * zero, a channel is a constant (bias, then BN β, activation, ...). We measure it rather than derive it: run a
 * copy of the model with those weights zeroed and read each consumer's input, averaged over positions (exact
 * for Dense and 'valid' convolutions). Returns, per consumer layer, one value per input channel.
 */
export async function removedChannelConstants(model: tf.LayersModel, dep: DependencyGraph, keep: KeepFn, consumers: string[]): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  if (consumers.length === 0) return out;
  const clone = await cloneModel(model);
  try {
    tf.tidy(() => {
      for (const b of dep.bindings) {
        if (b.kind !== 'out' || b.role === 'bias') continue;
        const width = layoutWidth(b.layout);
        const kept = keptIndices(b.layout, keep);
        if (kept.length === width) continue;
        const v = clone.getLayer(b.layer).weights.find((w) => roleOf(w.originalName ?? w.name) === b.role);
        if (!v) continue;
        const mask = new Float32Array(width);
        for (const k of kept) mask[k] = 1;
        const shape = v.shape.map((d, i) => (i === b.axis ? d : 1)) as number[];
        v.write(tf.mul(v.read(), tf.tensor(mask, shape)));
      }
    });
    const probe = tf.model({ inputs: clone.inputs, outputs: consumers.map((c) => clone.getLayer(c).input as tf.SymbolicTensor) });
    const values = tf.tidy(() => {
      // A free spatial size gets 32: large enough for the kernels and pools of typical convnets.
      const inputs = clone.inputs.map((t) => tf.zeros([1, ...t.shape.slice(1).map((d) => d ?? 32)]));
      const res = probe.predict(inputs.length === 1 ? inputs[0] : inputs);
      const list = Array.isArray(res) ? res : [res];
      return list.map((t) => tf.mean(t.reshape([-1, t.shape[t.rank - 1]]), 0));
    });
    try {
      const read = await readAll(values);
      consumers.forEach((c, i) => out.set(c, read[i]!));
    } finally {
      tf.dispose(values);
    }
    const bad = consumers.find((c) => out.get(c)!.some((v) => !Number.isFinite(v)));
    if (bad) throw new Error(`probing the input of '${bad}' gave non-finite values`);
  } finally {
    clone.dispose();
  }
  return out;
}
