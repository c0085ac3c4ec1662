import * as tf from '@tensorflow/tfjs';
import { readAll } from '../core/read.js';
import { countFlops } from '../graph/flops.js';
import { sizeFromBytes } from '../measure/size.js';
import type { StructuredRecipe } from './structured/recipe.js';

/** Say it where people look: sparsity alone does not speed anything up today. */
export const SPEED_NOTE_UNSTRUCTURED =
  'Unstructured and N:M (2:4) sparsity make nothing faster in today\'s runtimes (tfjs, ONNX Runtime Web run dense ' +
  'kernels); the zeros only shrink the gzip size. Only structured pruning makes the model faster.';
export const SPEED_NOTE_STRUCTURED =
  'Structured pruning removed whole channels: the model has fewer parameters and FLOPs in any runtime.';

export interface ModelSnapshot {
  params: number;
  nonzeroParams: number;
  flops: number;
  /** float32 bytes of every weight, and those bytes gzipped (level 9): zeros compress, so sparsity shows here. */
  bytes: number;
  gzipBytes: number;
  layers: { name: string; className: string; params: number; nonzeroParams: number; flops: number }[];
}

type Named = { name: string; className: string; tensors: tf.Tensor[] };

function isLayersModel(model: tf.LayersModel | tf.GraphModel): model is tf.LayersModel {
  return Array.isArray((model as tf.LayersModel).layers);
}

/** Parameter, non-zero, FLOPs and size figures of a model, per layer and in total. */
export async function snapshotModel(model: tf.LayersModel | tf.GraphModel): Promise<ModelSnapshot> {
  let rows: Named[];
  const flopsByLayer = new Map<string, number>();
  if (isLayersModel(model)) {
    rows = model.layers.map((l) => ({ name: l.name, className: l.getClassName(), tensors: l.weights.map((w) => w.read()) }));
    for (const f of countFlops(model).layers) flopsByLayer.set(f.name, f.flops);
  } else {
    rows = Object.entries(model.weights).map(([name, ts]) => ({ name, className: 'Const', tensors: ts }));
  }
  const counts = tf.tidy(() => rows.map((r) => r.tensors.map((t) => tf.notEqual(t, 0).sum())));
  let nonzero: number[][];
  try {
    nonzero = await Promise.all(counts.map(async (list) => (await readAll(list)).map((c) => c[0]!)));
  } finally {
    tf.dispose(counts);
  }
  const layers = rows.map((r, i) => ({
    name: r.name, className: r.className,
    params: r.tensors.reduce((s, t) => s + t.size, 0),
    nonzeroParams: nonzero[i]!.reduce((s, c) => s + c, 0),
    flops: flopsByLayer.get(r.name) ?? 0,
  }));
  const floats = await readAll(rows.flatMap((r) => r.tensors.filter((t) => t.dtype === 'float32')));
  const all = new Float32Array(floats.reduce((s, f) => s + f.length, 0));
  let o = 0;
  for (const f of floats) { all.set(f, o); o += f.length; }
  const size = await sizeFromBytes([{ path: 'weights', data: new Uint8Array(all.buffer) }]);
  return {
    params: layers.reduce((s, l) => s + l.params, 0),
    nonzeroParams: layers.reduce((s, l) => s + l.nonzeroParams, 0),
    flops: layers.reduce((s, l) => s + l.flops, 0),
    bytes: size.bytes, gzipBytes: size.gzipBytes, layers,
  };
}

export interface LayerPruneRow {
  name: string;
  className: string;
  params: { before: number; after: number };
  /** Fraction of this layer's parameters that are zero after pruning. */
  sparsity: number;
  flops: { before: number; after: number };
}

export interface PruneReport {
  /** The spec as text, e.g. `magnitude:0.9:global`. */
  spec: string;
  method: 'magnitude' | 'nm' | 'structured';
  dryRun: boolean;
  params: { before: number; after: number };
  nonzeroParams: { before: number; after: number };
  /** Fraction of all parameters that are zero. */
  sparsity: { before: number; after: number };
  flops: { before: number; after: number };
  /** Weight bytes (float32) raw and gzipped, before and after. */
  size: { bytes: { before: number; after: number }; gzipBytes: { before: number; after: number } };
  layers: LayerPruneRow[];
  /** Structured only: the replayable cut (also what --dry-run prints). */
  recipe?: StructuredRecipe;
  /** Per-epoch fine-tuning log when fine-tuned. */
  finetune?: { epoch: number; loss: number; acc: number; valAcc?: number; seconds: number }[];
  speedNote: string;
  warnings: string[];
}

export function compareSnapshots(before: ModelSnapshot, after: ModelSnapshot): Pick<PruneReport, 'params' | 'nonzeroParams' | 'sparsity' | 'flops' | 'size' | 'layers'> {
  const afterByName = new Map(after.layers.map((l) => [l.name, l]));
  const sparsity = (s: ModelSnapshot): number => (s.params ? 1 - s.nonzeroParams / s.params : 0);
  return {
    params: { before: before.params, after: after.params },
    nonzeroParams: { before: before.nonzeroParams, after: after.nonzeroParams },
    sparsity: { before: sparsity(before), after: sparsity(after) },
    flops: { before: before.flops, after: after.flops },
    size: { bytes: { before: before.bytes, after: after.bytes }, gzipBytes: { before: before.gzipBytes, after: after.gzipBytes } },
    layers: before.layers.filter((l) => l.params > 0).map((l) => {
      const a = afterByName.get(l.name) ?? l;
      return {
        name: l.name, className: l.className,
        params: { before: l.params, after: a.params },
        sparsity: a.params ? 1 - a.nonzeroParams / a.params : 0,
        flops: { before: l.flops, after: a.flops },
      };
    }),
  };
}
