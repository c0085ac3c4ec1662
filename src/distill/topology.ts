import { ShrinkmlError } from '../core/errors.js';

/** A layer of a Keras-format model topology (model.toJSON(null, false).config.layers[i]). */
export interface TopologyLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
}

export interface TopologyGraph {
  layers: TopologyLayer[];
  /** For each layer, the layer names feeding each of its calls; '' is a Sequential model's input. */
  inputs: string[][][];
  outputs: string[];
}

function inboundNames(layer: TopologyLayer): string[][] {
  return (layer.inbound_nodes ?? []).map((node) => (node as unknown[]).map((entry) => String((entry as unknown[])[0])));
}

/** Functional and Sequential topologies as one graph of named layers. */
export function topologyGraph(json: { class_name: string; config: unknown }): TopologyGraph {
  const config = json.config as { layers?: TopologyLayer[]; output_layers?: unknown[][] } | TopologyLayer[];
  if (json.class_name === 'Sequential') {
    const layers = (Array.isArray(config) ? config : config.layers ?? []).map((l, i) => ({ ...l, name: String(l.config.name ?? `layer_${i}`) }));
    const inputs = layers.map((_, i) => [[i === 0 ? '' : layers[i - 1].name]]);
    return { layers, inputs, outputs: layers.length ? [layers[layers.length - 1].name] : [] };
  }
  if (Array.isArray(config) || !config.layers) {
    throw new ShrinkmlError('UNSUPPORTED', `model topology '${json.class_name}' has no layer list`, { subject: json.class_name });
  }
  const layers = config.layers.map((l) => ({ ...l, name: String(l.name ?? l.config.name) }));
  return { layers, inputs: layers.map(inboundNames), outputs: (config.output_layers ?? []).map((o) => String(o[0])) };
}
