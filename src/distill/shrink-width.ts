import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { deriveSeed } from '../data/random.js';
import { topologyGraph, type TopologyLayer } from './topology.js';
import { widthPlan, type WidthChange } from './width-plan.js';

export interface ShrinkWidthOptions {
  /** Seed of the fresh weights (every random initializer gets its own stream). Default 0. */
  seed?: number;
  /** Round scaled widths to a multiple of this (8 suits SIMD and GPU tiles). Default 1. */
  roundTo?: number;
}

export interface ShrunkModel {
  model: tf.LayersModel;
  /** Every Dense/Conv/RNN layer with its old and new width, and why it kept its width when it did. */
  changes: WidthChange[];
}

const SEEDABLE = new Set([
  'VarianceScaling', 'RandomUniform', 'RandomNormal', 'TruncatedNormal', 'Orthogonal', 'GlorotUniform',
  'GlorotNormal', 'HeNormal', 'HeUniform', 'LeCunNormal', 'LeCunUniform',
]);

/** Gives every random initializer of a layer config a seed of its own, so the student's weights are reproducible. */
function seedInitializers(config: Record<string, unknown>, seed: number, layerIndex: number): void {
  let k = 0;
  for (const [key, value] of Object.entries(config)) {
    const init = value as { class_name?: string; config?: Record<string, unknown> } | null;
    if (!key.endsWith('_initializer') || !init?.class_name || !SEEDABLE.has(init.class_name)) continue;
    init.config = { ...(init.config ?? {}), seed: deriveSeed(seed, layerIndex * 64 + k++) };
  }
}

/** The channel (last) dimension of a layer's output in the original model; '' is a Sequential model's input. */
function lastDim(model: tf.LayersModel, name: string): number {
  const shape = name === '' ? model.inputs[0].shape : model.getLayer(name).outputShape;
  const first = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  const d = first[first.length - 1];
  if (typeof d !== 'number') {
    throw new ShrinkmlError('UNSUPPORTED', `layer '${name || model.inputs[0].name}' has no fixed channel width`, { subject: name });
  }
  return d;
}

/**
 * The same architecture with hidden widths (Dense units, Conv filters, RNN units) multiplied by `factor`, rounded,
 * and fresh seeded weights. The output layer keeps its width, layers joined by Add keep equal widths, and every
 * layer is made trainable (a frozen layer with fresh weights would stay random). Rebuilt from the model's JSON
 * config, so custom layers need to be registered with tfjs as for loading.
 */
export async function shrinkWidth(model: tf.LayersModel, factor: number, options: ShrinkWidthOptions = {}): Promise<ShrunkModel> {
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new ShrinkmlError('BAD_INPUT', `student width factor must be a number > 0, got ${factor}`, {
      subject: '--student-width', suggestion: 'e.g. 0.25 for a quarter of the hidden units',
    });
  }
  const roundTo = options.roundTo ?? 1;
  if (!Number.isInteger(roundTo) || roundTo < 1) {
    throw new ShrinkmlError('BAD_INPUT', `roundTo must be a whole number ≥ 1, got ${roundTo}`, { subject: 'roundTo' });
  }
  const json = structuredClone(model.toJSON(null, false)) as { class_name: string; config: unknown };
  const graph = topologyGraph(json);
  const changes = widthPlan({ graph, factor, roundTo, originalWidth: (name) => lastDim(model, name) });
  const byName = new Map(changes.map((c) => [c.layer, c]));
  graph.layers.forEach((layer: TopologyLayer, i) => {
    const change = byName.get(layer.name!);
    if (change) layer.config[change.key] = change.to;
    layer.config.trainable = true;
    seedInitializers(layer.config, options.seed ?? 0, i);
  });
  // topologyGraph copies the layer entries; put the edited ones back into the topology.
  const config = json.config as { name?: string; layers?: TopologyLayer[] } | TopologyLayer[];
  const target = Array.isArray(config) ? config : config.layers!;
  target.splice(0, target.length, ...graph.layers.map(({ name, ...rest }) => (json.class_name === 'Sequential' ? rest : { name, ...rest })));
  if (!Array.isArray(config)) config.name = `${config.name ?? model.name}_w${factor}`;
  try {
    const rebuilt = await tf.models.modelFromJSON({ modelTopology: json as unknown as tf.io.ModelJSON['modelTopology'] });
    return { model: rebuilt, changes };
  } catch (e) {
    throw new ShrinkmlError('UNSUPPORTED', `cannot rebuild model '${model.name}' at width ${factor}: ${(e as Error).message.split('\n')[0]}`, {
      subject: model.name, cause: e, suggestion: 'build the student yourself and pass it instead (--student)',
    });
  }
}
