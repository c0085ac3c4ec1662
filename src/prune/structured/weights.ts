import * as tf from '@tensorflow/tfjs';
import { readValues } from '../../core/read.js';
import { ShrinkmlError } from '../../core/errors.js';
import type { ModelGraph } from '../../graph/types.js';

/** A layer's weights by role (`kernel`, `bias`, ...), as the live tensors (not copies). */
export function weightsByRole(model: tf.LayersModel, graph: ModelGraph, layerName: string): Map<string, tf.Tensor> {
  const node = graph.byName.get(layerName);
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(layerName);
  } catch (e) {
    throw new ShrinkmlError('BAD_INPUT', `layer '${layerName}' is not in the model`, { subject: layerName, cause: e });
  }
  return new Map(layer.weights.map((v, i) => [node?.weights[i]?.role ?? v.name, v.read()]));
}

/** Rows of `t` along `axis`: element c holds every value with index c on that axis. */
export async function slicesAlong(t: tf.Tensor, axis: number): Promise<Float32Array[]> {
  const rows = tf.tidy(() => {
    const perm = [axis, ...Array.from({ length: t.rank }, (_, i) => i).filter((i) => i !== axis)];
    return tf.transpose(t, perm).reshape([t.shape[axis], -1]);
  });
  const [n, k] = rows.shape;
  let data: Float32Array;
  try { data = await readValues(rows); } finally { rows.dispose(); }
  return Array.from({ length: n }, (_, c) => data.subarray(c * k, (c + 1) * k));
}
