import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { GraphNode, ModelGraph, Shape } from './types.js';

type AnyLayer = tf.layers.Layer;

export function roleOf(name: string): string {
  const parts = name.split('/');
  // tfjs uniquifies clashing variable names with a `_N` suffix on the last segment; the role is the base name.
  return parts[parts.length - 1].replace(/_\d+$/, '');
}

function asShapes(shape: unknown): Shape[] {
  if (!Array.isArray(shape)) return [];
  return Array.isArray(shape[0]) || shape.length === 0 ? (shape as Shape[]) : [shape as Shape];
}

type LayerNode = AnyLayer['inboundNodes'][number];

/**
 * The calls of `layer` that belong to this model. A layer keeps every call it ever had (a Sequential used as a
 * layer has its own construction call first); tfjs records the model's own in `containerNodes` (internal, but
 * stable across tfjs 1–4).
 */
function callsIn(model: tf.LayersModel, layer: AnyLayer): LayerNode[] {
  const own = (model as unknown as { containerNodes?: Set<string> }).containerNodes;
  // A Sequential model fills containerNodes only once built; before that each layer has its one call.
  if (!own || own.size === 0) return layer.inboundNodes.slice(0, 1);
  return layer.inboundNodes.filter((_, i) => own.has(`${layer.name}_ib-${i}`));
}

function firstOutputShape(layer: AnyLayer, node: LayerNode | undefined): Shape {
  const shapes = node ? asShapes(node.outputShapes) : [];
  if (shapes[0]) return shapes[0];
  const cfg = layer.getConfig() as { batchInputShape?: Shape };
  return cfg.batchInputShape ?? [];
}

/** Collect the layers a model runs, including the InputLayers a Sequential model hides from `model.layers`. */
function collectLayers(model: tf.LayersModel): AnyLayer[] {
  const seen = new Map<string, AnyLayer>();
  const visit = (layer: AnyLayer): void => {
    if (seen.has(layer.name)) return;
    for (const node of callsIn(model, layer).slice(0, 1)) for (const p of node.inboundLayers) visit(p);
    seen.set(layer.name, layer);
  };
  for (const layer of model.layers) visit(layer);
  return [...seen.values()];
}

/**
 * Build the layer graph of a LayersModel. Order is topological because producers are visited before consumers.
 * Only each layer's first call in this model is followed; a layer called more than once is flagged `shared` so
 * passes that rewrite channels can leave it alone.
 */
export function buildGraph(model: tf.LayersModel): ModelGraph {
  if (!model || !Array.isArray((model as { layers?: unknown }).layers)) {
    throw new ShrinkmlError('BAD_INPUT', 'buildGraph: expected a tf.LayersModel (a GraphModel has no layers)');
  }
  const layers = collectLayers(model);
  const nodes: GraphNode[] = layers.map((layer) => {
    const calls = callsIn(model, layer);
    const inbound = calls[0];
    const cls = layer.getClassName();
    return {
      name: layer.name,
      className: cls,
      config: layer.getConfig() as Record<string, unknown>,
      inputs: inbound ? inbound.inboundLayers.map((l) => l.name) : [],
      outputs: [],
      inputShapes: inbound ? asShapes(inbound.inputShapes) : [],
      outputShape: firstOutputShape(layer, inbound),
      weights: layer.weights.map((w) => ({ name: w.originalName ?? w.name, role: roleOf(w.originalName ?? w.name), shape: [...w.shape] as number[] })),
      shared: calls.length > 1,
      nested: Array.isArray((layer as unknown as { layers?: unknown }).layers),
    };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const n of nodes) for (const p of n.inputs) byName.get(p)?.outputs.push(n.name);
  const inputs = model.inputs.map((t) => t.sourceLayer.name);
  const outputs = model.outputs.map((t) => t.sourceLayer.name);
  return { nodes, byName, inputs, outputs };
}
