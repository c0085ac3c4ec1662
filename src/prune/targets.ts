import * as tf from '@tensorflow/tfjs';
import { readValues } from '../core/read.js';
import { buildGraph } from '../graph/build.js';

/** A layer name, or a pattern tested against layer names (and, for a GraphModel, weight names). */
export type LayerMatcher = string | RegExp;

/** One weight tensor that unstructured pruning may zero. */
export interface PrunableWeight {
  /** Layer name (for a GraphModel, the weight name). */
  layer: string;
  className: string;
  /** Variable name as saved, e.g. `dense_Dense1/kernel`. */
  name: string;
  shape: number[];
  /** The axis of input channels, along which N:M blocks run; null when the layer has none (depthwise). */
  inputAxis: number | null;
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

export function matchesAny(name: string, patterns: LayerMatcher[] = []): boolean {
  return patterns.some((p) => (typeof p === 'string' ? p === name : p.test(name)));
}

/** Which weights of which classes are pruned, and their input axis (given the weight's rank). */
const PRUNED_ROLES: Record<string, Record<string, (rank: number) => number | null>> = {
  Dense: { kernel: () => 0 },
  Conv1D: { kernel: (r) => r - 2 },
  Conv2D: { kernel: (r) => r - 2 },
  Conv3D: { kernel: (r) => r - 2 },
  Conv2DTranspose: { kernel: (r) => r - 1 },
  DepthwiseConv2D: { depthwise_kernel: () => null },
  SeparableConv1D: { depthwise_kernel: () => null, pointwise_kernel: (r) => r - 2 },
  SeparableConv2D: { depthwise_kernel: () => null, pointwise_kernel: (r) => r - 2 },
  Embedding: { embeddings: () => null },
};

/**
 * The weights unstructured pruning acts on: kernels of Dense/Conv layers (not biases or normalisation
 * statistics, which are few and sensitive), minus excluded layers.
 */
export function layersModelTargets(model: tf.LayersModel, exclude: LayerMatcher[] = []): PrunableWeight[] {
  const graph = buildGraph(model);
  const out: PrunableWeight[] = [];
  for (const layer of model.layers) {
    const roles = PRUNED_ROLES[layer.getClassName()];
    if (!roles || matchesAny(layer.name, exclude)) continue;
    const node = graph.byName.get(layer.name);
    layer.weights.forEach((v, i) => {
      const role = node?.weights[i]?.role ?? '';
      const axisOf = roles[role];
      if (!axisOf || !v.trainable) return;
      out.push({
        layer: layer.name, className: layer.getClassName(), name: node?.weights[i].name ?? v.name,
        shape: [...v.shape] as number[], inputAxis: axisOf(v.shape.length),
        read: () => v.read(), write: (t) => v.write(t),
      });
    });
  }
  return out;
}

/**
 * For a GraphModel only weights exist: every float tensor of rank ≥ 2 is taken as a kernel. Input axis is a
 * guess from the rank: 0 for a MatMul [in, out], 2 for an HWIO Conv2D filter.
 * Writes go into the returned map, not into the GraphModel (which has no public weight setter).
 */
export function weightMapTargets(weights: tf.NamedTensorMap, exclude: LayerMatcher[] = []): PrunableWeight[] {
  const out: PrunableWeight[] = [];
  for (const name of Object.keys(weights)) {
    const t = weights[name];
    if (t.dtype !== 'float32' || t.rank < 2 || matchesAny(name, exclude)) continue;
    out.push({
      layer: name, className: 'Const', name, shape: [...t.shape],
      inputAxis: t.rank === 2 ? 0 : t.rank === 4 ? 2 : null,
      read: () => weights[name],
      write: (v) => { const old = weights[name]; weights[name] = tf.keep(v.clone()); if (old !== t) old.dispose(); },
    });
  }
  return out;
}

/** Read a weight's values to the CPU (masks are computed there: sorting is not a tensor op in tfjs). */
export function readWeightValues(w: PrunableWeight): Promise<Float32Array> {
  return readValues(w.read());
}
