import * as tf from '@tensorflow/tfjs';
import { readValues } from '../../core/read.js';
import { ShrinkmlError } from '../../core/errors.js';
import type { WarnFn } from '../../core/progress.js';
import { roleOf } from '../../graph/build.js';
import { keptIndices, layoutWidth } from '../../graph/channels/layout.js';
import { buildDependencyGraph, type DependencyGraph } from '../../graph/dependency.js';
import { complement, removedChannelConstants, type KeepFn } from './fold.js';
import { cutHandlerFor } from './handlers/index.js';
import { validateRecipe, type StructuredRecipe } from './recipe.js';
import { weightsByRole } from './weights.js';

export interface ApplyRecipeOptions {
  model: tf.LayersModel;
  /** A recipe from planStructured() or a parsed JSON file (validated here). */
  recipe: StructuredRecipe | unknown;
  /** Reuse a dependency graph already built for this model. */
  dependency?: DependencyGraph;
  onWarn?: WarnFn;
}

type JsonLayer = { class_name: string; config: Record<string, unknown> };

function keepFunction(dep: DependencyGraph, recipe: StructuredRecipe): KeepFn {
  const byRoot = new Map<number, number[]>();
  for (const rg of recipe.groups) {
    const g = dep.groups.find((x) => x.key === rg.key);
    if (!g) throw new ShrinkmlError('BAD_INPUT', `prune recipe: group '${rg.key}' does not exist in this model`, { subject: rg.key, suggestion: 'a recipe replays only on the model it was planned for' });
    if (g.size !== rg.size) throw new ShrinkmlError('BAD_INPUT', `prune recipe: group '${rg.key}' has ${g.size} channels in this model, the recipe expects ${rg.size}`, { subject: rg.key });
    if (g.pinned.length) throw new ShrinkmlError('BAD_INPUT', `prune recipe: group '${rg.key}' cannot be cut (${g.pinned.join('; ')})`, { subject: rg.key });
    for (const s of g.spaces) byRoot.set(s, rg.keep);
  }
  return (space) => byRoot.get(dep.rootOf(space));
}

/** Bias changes that absorb what removed channels fed each consumer (see fold.ts). */
async function foldDeltas(model: tf.LayersModel, dep: DependencyGraph, keep: KeepFn, onWarn?: WarnFn): Promise<Map<string, tf.Tensor>> {
  const cuts = dep.bindings.filter((b) => b.kind === 'in' && keptIndices(b.layout, keep).length < layoutWidth(b.layout));
  const consumers = [...new Set(cuts.map((b) => b.layer))];
  let constants: Map<string, Float32Array>;
  try {
    constants = await removedChannelConstants(model, dep, keep, consumers);
  } catch (e) {
    // Folding is a refinement: a model we cannot probe (e.g. free spatial input size) is still cut, just unfolded.
    onWarn?.(`constants of removed channels were not folded into the next layers (${(e as Error).message.split('\n')[0]})`);
    return new Map();
  }
  const deltas = new Map<string, tf.Tensor>();
  for (const layer of consumers) {
    const b = cuts.find((x) => x.layer === layer)!;
    const width = layoutWidth(b.layout);
    const removed = complement(keptIndices(b.layout, keep), width);
    const all = constants.get(layer)!;
    const values = Float32Array.from(removed, (i) => all[i]);
    if (!values.some((v) => Math.abs(v) > 1e-7)) continue;
    const weights = weightsByRole(model, dep.graph, layer);
    const handler = cutHandlerFor(dep.graph.byName.get(layer)!.className);
    const delta = handler?.fold?.({ weights, removed, values }) ?? null;
    if (!delta || !weights.has('bias')) {
      delta?.dispose();
      onWarn?.(`layer '${layer}': removed input channels carried a constant that cannot be folded (no bias); predictions shift slightly`);
      continue;
    }
    deltas.set(layer, delta);
  }
  return deltas;
}

function layerEntries(json: { config: unknown }): JsonLayer[] {
  const cfg = json.config as { layers?: JsonLayer[] } | JsonLayer[];
  return Array.isArray(cfg) ? cfg : cfg.layers ?? [];
}

/**
 * Apply a structured recipe: a NEW LayersModel whose layers have fewer channels, built from the rewritten JSON
 * config and sliced weights, so it saves and loads in stock tfjs. The input model is not changed.
 */
export async function applyRecipe(options: ApplyRecipeOptions): Promise<tf.LayersModel> {
  const { model } = options;
  const recipe = validateRecipe(options.recipe);
  const dep = options.dependency ?? buildDependencyGraph(model);
  const keep = keepFunction(dep, recipe);
  const deltas = recipe.foldConstants ? await foldDeltas(model, dep, keep, options.onWarn) : new Map<string, tf.Tensor>();

  const json = model.toJSON(null, false) as unknown as { config: unknown };
  const entries = new Map(layerEntries(json).map((e) => [String(e.config.name), e]));
  // Every layer whose output lost channels states its new width, if its config names one (units, filters, a
  // Reshape's target); layers that infer their width from their input need nothing.
  for (const node of dep.graph.nodes) {
    const layout = dep.layouts.get(node.name)!;
    const kept = keptIndices(layout, keep).length;
    if (kept === layoutWidth(layout)) continue;
    const handler = cutHandlerFor(node.className);
    if (!handler) {
      throw new ShrinkmlError('UNSUPPORTED', `layer '${node.name}' (${node.className}) has no structured-pruning cut handler`, { subject: node.name });
    }
    const entry = entries.get(node.name);
    if (handler.resize && entry) handler.resize(entry.config, kept);
  }
  const pruned = await tf.models.modelFromJSON({ modelTopology: json as tf.io.ModelJSON['modelTopology'] });
  try {
    for (const layer of pruned.layers) {
      if (layer.weights.length === 0) continue;
      if (!deltas.has(layer.name) && !dep.bindings.some((b) => b.layer === layer.name)) {
        // Untouched (including nested models, whose weights repeat roles): copy by position.
        layer.setWeights(model.getLayer(layer.name).getWeights());
        continue;
      }
      const old = weightsByRole(model, dep.graph, layer.name);
      const values = await Promise.all(layer.weights.map(async (v) => {
        const t = tf.tidy(() => {
          const role = roleOf(v.originalName ?? v.name);
          let t = old.get(role);
          if (!t) throw new ShrinkmlError('INTERNAL', `layer '${layer.name}': weight '${role}' missing in the source model`, { subject: layer.name });
          const delta = role === 'bias' ? deltas.get(layer.name) : undefined;
          if (delta) t = tf.add(t, delta);
          for (const b of dep.bindings) {
            if (b.layer !== layer.name || b.role !== role) continue;
            const kept = keptIndices(b.layout, keep);
            if (kept.length < t.shape[b.axis]) t = tf.gather(t, kept, b.axis);
          }
          return t.clone();
        });
        // A fresh upload, not the gather output: tfjs-backend-wasm's GatherV2 records its output under a rank-4
        // shape, and FusedConv2D (used when training) rejects a bias whose stored shape is not rank 1.
        try {
          return tf.tensor(await readValues(t), t.shape, t.dtype);
        } finally {
          t.dispose();
        }
      }));
      layer.setWeights(values);
      tf.dispose(values);
    }
  } catch (e) {
    pruned.dispose();
    throw e;
  } finally {
    tf.dispose([...deltas.values()]);
  }
  return pruned;
}
