import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../core/errors.js';

/** One tfjs layer as bench/pytorch/yardstick.py rebuilds it: its class, config and weights by role. */
export interface YardstickLayer {
  class: string;
  name: string;
  config: Record<string, unknown>;
  /** Role ('kernel', 'bias', 'gamma', 'moving_mean', ...) → shape and byte offset into the weights blob. */
  weights: Record<string, { shape: number[]; offset: number }>;
}

export interface YardstickModel {
  /** Per-sample input shape as tfjs has it (channels-last for images). */
  inputShape: number[];
  layers: YardstickLayer[];
  /** Every weight, float32, in layer order (decoded: codebook and int8 storage are already expanded by the loader). */
  weights: Float32Array;
}

/** The config keys the rebuild reads; initializers and regularizers do not change inference. */
const KEYS = ['units', 'activation', 'useBias', 'filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate',
  'axis', 'epsilon', 'center', 'scale', 'poolSize', 'rate'];

/** 'fc1/kernel' → 'kernel', 'bn1/moving_mean_1' → 'moving_mean' (tfjs adds a suffix to repeated names). */
const role = (name: string) => name.slice(name.lastIndexOf('/') + 1).replace(/_\d+$/, '');

/**
 * Serializes a chain-shaped LayersModel (every layer fed by the one before) for the PyTorch rebuild. Which layer
 * classes PyTorch can rebuild is the script's call; only the graph shape is checked here, because the script sees
 * a list, not a graph.
 */
export function exportForYardstick(model: tf.LayersModel): YardstickModel {
  const input = model.inputs;
  if (input.length !== 1 || model.outputs.length !== 1) {
    throw new ShrinkmlError('UNSUPPORTED', `${model.name}: the PyTorch yardstick rebuilds single-input, single-output models`, { subject: model.name });
  }
  const layers: YardstickLayer[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  let previous: string | undefined;
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes.flatMap((n) => n.inboundLayers.map((l) => l.name));
    if (layer.getClassName() === 'InputLayer') {
      previous = layer.name;
      continue;
    }
    if (inbound.length !== 1 || (previous !== undefined && inbound[0] !== previous)) {
      throw new ShrinkmlError('UNSUPPORTED', `${model.name}: layer ${layer.name} is not fed by the layer before it (a branching graph); the PyTorch yardstick rebuilds chains`, { subject: layer.name });
    }
    previous = layer.name;
    const all = layer.getConfig() as Record<string, unknown>;
    const config = Object.fromEntries(KEYS.filter((k) => all[k] !== undefined).map((k) => [k, all[k]]));
    const weights: YardstickLayer['weights'] = {};
    for (const v of layer.weights) {
      const values = v.read().dataSync() as Float32Array;
      weights[role(v.originalName ?? v.name)] = { shape: [...v.shape] as number[], offset };
      chunks.push(values);
      offset += values.byteLength;
    }
    layers.push({ class: layer.getClassName(), name: layer.name, config, weights });
  }
  const blob = new Float32Array(offset / 4);
  let at = 0;
  for (const c of chunks) {
    blob.set(c, at);
    at += c.length;
  }
  return { inputShape: (input[0]!.shape.slice(1) as number[]), layers, weights: blob };
}
