import type { GraphWeight, WeightRole } from '../formats/graph/index.js';
import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { maskSparsity, type MaskMap } from './masks.js';
import type { PruneSpec } from './spec.js';
import type { PrunableWeight } from './targets.js';
import { masksForSpec } from './unstructured.js';

/**
 * Unstructured pruning of a graph model's weight constants (decoded, see formats/graph): the same specs and masks
 * as for LayersModels (`magnitude:S[:global]`, `N:M`), over the kernels only — conv/matmul filters, depthwise
 * filters, embedding tables — never biases, normalisation terms or other constants read as values. Zeroes the
 * values in place and returns each pruned weight's sparsity.
 */
export async function pruneGraphWeights(o: { weights: GraphWeight[]; roles: Map<string, WeightRole>; spec: PruneSpec; seed?: number }): Promise<Map<string, number>> {
  const spec = o.spec;
  if (spec.kind !== 'magnitude' && spec.kind !== 'nm') {
    throw new ShrinkmlError('UNSUPPORTED', `--prune ${spec.kind}: graph models take unstructured pruning (magnitude:S[:global] or N:M)`, {
      subject: '--prune', suggestion: 'structured pruning needs layers to cut; use a LayersModel',
    });
  }
  const kernels = o.weights.filter((w) => {
    const role = o.roles.get(w.name);
    return w.values instanceof Float32Array && role && role.kind !== 'other';
  });
  const values = new Map(kernels.map((w) => [w.name, Float32Array.from(w.values!)]));
  const made: tf.Tensor[] = [];
  const targets: PrunableWeight[] = kernels.map((w) => {
    const role = o.roles.get(w.name)!;
    return {
      layer: w.name, className: role.kind, name: w.name, shape: w.shape,
      // N:M blocks run along the reduction; depthwise and embedding rows have none that N:M kernels use.
      inputAxis: role.kind === 'conv' ? role.reduceAxes[role.reduceAxes.length - 1]! : null,
      read: () => { const t = tf.tensor(values.get(w.name)!, w.shape); made.push(t); return t; },
      write: () => { throw new ShrinkmlError('INTERNAL', 'graph weights are masked in place'); },
    };
  });
  // Each read() makes a tensor the mask code does not dispose.
  let masks: MaskMap;
  try {
    masks = await masksForSpec(targets, { spec, seed: o.seed });
  } finally {
    tf.dispose(made);
  }
  const sparsity = new Map<string, number>();
  for (const w of kernels) {
    const mask = masks.get(w.name);
    if (!mask) continue;
    const v = values.get(w.name)!;
    for (let i = 0; i < v.length; i++) if (!mask[i]) v[i] = 0;
    w.values = v;
    sparsity.set(w.name, maskSparsity(mask));
  }
  return sparsity;
}
