import * as tf from '@tensorflow/tfjs';
import { readValues } from '../core/read.js';
import { ShrinkmlError } from '../core/errors.js';

/**
 * A LayersModel's topology as its JSON (snake_case, as model.json stores it), editable: replace a layer's class
 * and config, splice out a one-input layer. Rebuilding from JSON gives fresh layers (no weight sharing with the
 * source model), so the caller copies weights over by layer name.
 */
export interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  inbound_nodes?: unknown[];
}

type Ref = [string, number, number, ...unknown[]];

interface ModelJsonDict { class_name: string; config: Record<string, unknown>; [k: string]: unknown }

export class ModelGraph {
  private constructor(private readonly json: ModelJsonDict, readonly sequential: boolean) {}

  static fromModel(model: tf.LayersModel): ModelGraph {
    const json = model.toJSON(null, false) as unknown as ModelJsonDict;
    const sequential = json.class_name === 'Sequential';
    if (!sequential && json.class_name !== 'Model' && json.class_name !== 'Functional') {
      throw new ShrinkmlError('UNSUPPORTED', `model '${model.name}': cannot edit a ${json.class_name} topology`, { subject: model.name });
    }
    return new ModelGraph(structuredClone(json), sequential);
  }

  get layers(): LayerJson[] {
    return this.json.config.layers as LayerJson[];
  }

  static nameOf(layer: LayerJson): string {
    return (layer.name ?? layer.config.name) as string;
  }

  find(name: string): LayerJson {
    const layer = this.layers.find((l) => ModelGraph.nameOf(l) === name);
    if (!layer) throw new ShrinkmlError('INTERNAL', `quantize/graph: no layer '${name}' in the model`, { subject: name });
    return layer;
  }

  /** Layers that read `name`'s output, and whether the model returns it (which makes it unfusable). */
  consumers(name: string): { layers: string[]; isOutput: boolean } {
    if (this.sequential) {
      const i = this.layers.findIndex((l) => ModelGraph.nameOf(l) === name);
      const next = this.layers[i + 1];
      return { layers: next ? [ModelGraph.nameOf(next)] : [], isOutput: !next };
    }
    const layers = this.layers.filter((l) => this.refsOf(l).some((r) => r[0] === name)).map(ModelGraph.nameOf);
    const outputs = this.json.config.output_layers as Ref[];
    return { layers, isOutput: outputs.some((r) => r[0] === name) };
  }

  /** How often a layer is called in the graph (shared layers are called more than once). */
  callCount(name: string): number {
    if (this.sequential) return 1;
    return (this.find(name).inbound_nodes ?? []).length;
  }

  /** Swap a layer's class and config; its name and connections stay. */
  replace(name: string, className: string, config: Record<string, unknown>): void {
    const layer = this.find(name);
    const carried = ['name', 'batch_input_shape', 'dtype'].filter((k) => layer.config[k] !== undefined && config[k] === undefined);
    layer.class_name = className;
    layer.config = { ...Object.fromEntries(carried.map((k) => [k, layer.config[k]])), ...config };
  }

  /** Removes a layer with one input (BatchNormalization, Activation): its consumers read its input instead. */
  remove(name: string): void {
    const i = this.layers.findIndex((l) => ModelGraph.nameOf(l) === name);
    const layer = this.layers[i]!;
    if (this.sequential) {
      const shape = layer.config.batch_input_shape;
      this.layers.splice(i, 1);
      if (shape !== undefined && this.layers[i]) this.layers[i]!.config.batch_input_shape ??= shape;
      return;
    }
    const inbound = this.refsOf(layer);
    if (inbound.length !== 1 || (layer.inbound_nodes ?? []).length !== 1) {
      throw new ShrinkmlError('INTERNAL', `quantize/graph: layer '${name}' does not have exactly one input`, { subject: name });
    }
    const source = inbound[0]!;
    const rewire = (r: Ref): Ref => (r[0] === name ? [source[0], source[1], source[2], ...r.slice(3)] as Ref : r);
    for (const other of this.layers) {
      other.inbound_nodes = (other.inbound_nodes ?? []).map((node) => (node as Ref[]).map(rewire));
    }
    this.json.config.output_layers = (this.json.config.output_layers as Ref[]).map(rewire);
    this.layers.splice(i, 1);
  }

  private refsOf(layer: LayerJson): Ref[] {
    return (layer.inbound_nodes ?? []).flatMap((node) => node as Ref[]);
  }

  /** A new model with freshly initialised weights (the custom classes used must be registered). */
  async build(): Promise<tf.LayersModel> {
    return tf.models.modelFromJSON({ modelTopology: structuredClone(this.json) as unknown as tf.io.ModelJSON['modelTopology'] });
  }
}

/**
 * Copies every weight of `from` into the layer of the same name in `to`, except for layers listed in `skip`
 * (rewritten layers whose weights the caller sets).
 */
export function copyWeightsByLayer(from: tf.LayersModel, to: tf.LayersModel, skip: Set<string>): void {
  for (const layer of to.layers) {
    if (skip.has(layer.name) || layer.weights.length === 0) continue;
    const source = from.getLayer(layer.name);
    layer.setWeights(source.getWeights());
  }
}

/** A layer's weights by their short name ('kernel', 'bias', 'gamma', 'moving_mean'...), as float arrays. */
export async function weightValues(layer: tf.layers.Layer): Promise<Map<string, { values: Float32Array; shape: number[] }>> {
  const out = new Map<string, { values: Float32Array; shape: number[] }>();
  for (const w of layer.weights) {
    const short = w.originalName.split('/').pop()!;
    const t = w.read();
    out.set(short, { values: new Float32Array(await readValues(t)), shape: [...t.shape] });
  }
  return out;
}
