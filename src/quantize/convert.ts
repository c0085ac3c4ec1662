import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { WarnFn } from '../core/progress.js';
import { affineParams, dequantize } from '../core/numerics.js';
import type { WeightEncoding } from '../formats/types.js';
// Imported from the runtime entry on purpose: it registers the int8 layer classes that graph.build() needs.
import { ACTIVATION_RANGE, INT8_WEIGHT } from '../runtime/index.js';
import { settingsFor, type QuantConfig } from './config.js';
import { storedBias, storedScales } from './float16.js';
import { copyWeightsByLayer, ModelGraph, weightValues, type LayerJson } from './graph.js';
import type { Range } from './observers/types.js';
import { INT8_CLASS, unsupportedReason } from './support.js';
import { channelParams, packKernelRows, quantizeWeight, type WeightQuantConfig } from './weights.js';

export interface LayerReport {
  name: string;
  class: string;
  status: 'int8' | 'float';
  /** The int8 class it became. */
  as?: string;
  /** Why it stayed float. */
  reason?: string;
  weights?: WeightQuantConfig & { maxError: number; minScale: number; maxScale: number };
  input?: { mode: 'dynamic' } | { mode: 'static'; min: number; max: number; scale: number; zeroPoint: number };
  activation?: string;
}

export interface ConvertOptions {
  /** The prepared float model (BatchNorm folded, activations fused); not modified. */
  model: tf.LayersModel;
  mode: 'dynamic' | 'static';
  config: QuantConfig;
  /** Static mode: the calibrated input range of every layer to quantize. */
  ranges?: Record<string, Range>;
  onWarn?: WarnFn;
}

interface Planned { json: LayerJson; weights: tf.Tensor[]; report: LayerReport; encodings: Record<string, WeightEncoding> }

async function quantizeLayer(o: ConvertOptions, json: LayerJson, layer: tf.layers.Layer): Promise<Planned | LayerReport> {
  const name = layer.name;
  const cls = json.class_name;
  const float = (reason: string): LayerReport => ({ name, class: cls, status: 'float', reason });
  const settings = settingsFor(o.config, { name, className: cls });
  if (settings.exclude) return float('excluded by an override');
  const w = await weightValues(layer);
  const kernel = w.get('kernel')!;
  const n = kernel.shape.at(-1)!;
  const k = kernel.values.length / n;
  const reason = unsupportedReason(json, k, settings.weights);
  if (reason) return float(reason);

  const q = quantizeWeight({ values: kernel.values, shape: kernel.shape, config: settings.weights });
  const { scales: exact, zeroPoints } = channelParams(q);
  // The codes keep the exact scales; the stored (float16-rounded) scales are what the model computes with.
  const stored = storedScales(exact);
  const scales = stored.values;
  const back = dequantize(q.q, { params: Array.from(scales, (scale, c) => ({ scale, zeroPoint: zeroPoints[c]! })) });
  const maxError = kernel.values.reduce((m, v, i) => Math.max(m, Math.abs(v - back[i]!)), 0);
  let input: LayerReport['input'] = { mode: 'dynamic' };
  if (o.mode === 'static') {
    const r = o.ranges?.[name];
    if (!r) throw new ShrinkmlError('INTERNAL', `layer '${name}': no calibrated input range for static quantization`, { subject: name });
    input = { mode: 'static', min: r.min, max: r.max, ...affineParams({ ...r, range: ACTIVATION_RANGE }) };
  }
  const c = json.config;
  const useBias = c.use_bias !== false;
  const common = {
    name, trainable: false, mode: o.mode, activation: c.activation ?? 'linear', use_bias: useBias,
    weight_bits: settings.weights.bits, per_channel: settings.weights.perChannel,
    input_quant: input.mode === 'static' ? { scale: input.scale, zero_point: input.zeroPoint, min: input.min, max: input.max } : null,
  };
  const specific = cls === 'Dense'
    ? { units: n, input_dim: k, weight_symmetric: settings.weights.symmetric }
    : {
      filters: n, kernel_size: kernel.shape.slice(0, 2), padding: c.padding,
      strides: Array.isArray(c.strides) ? c.strides : [c.strides ?? 1, c.strides ?? 1], input_channels: kernel.shape[2],
    };
  const bias = useBias ? storedBias(Float32Array.from(w.get('bias')!.values)) : null;
  const weights = [
    tf.tensor2d(packKernelRows(q.q, n), [n, Math.ceil(k / 4)], 'int32'),
    tf.tensor1d(scales, 'float32'),
    ...(settings.weights.symmetric ? [] : [tf.tensor1d(zeroPoints, 'int32')]),
    ...(bias ? [tf.tensor1d(bias.values, 'float32')] : []),
  ];
  const encodings: Record<string, WeightEncoding> = {};
  if (stored.float16) encodings[`${name}/${INT8_WEIGHT.scale}`] = 'float16';
  if (bias?.float16) encodings[`${name}/${INT8_WEIGHT.bias}`] = 'float16';
  return {
    json: { ...json, class_name: INT8_CLASS[cls]!, config: { ...common, ...specific } },
    weights,
    encodings,
    report: {
      name, class: cls, status: 'int8', as: INT8_CLASS[cls], activation: common.activation as string, input,
      weights: { ...settings.weights, maxError, minScale: Math.min(...scales), maxScale: Math.max(...scales) },
    },
  };
}

/** The int8 model convertToInt8 built, a per-layer report, and the weight encodings saveLayersModel needs. */
export interface ConvertResult {
  model: tf.LayersModel;
  layers: LayerReport[];
  /** For saveLayersModel: the int8 layers' scales and biases whose values are float16 (stored as float16, losslessly). */
  weightEncodings: Record<string, WeightEncoding>;
}

/**
 * Convert phase: every Dense/Conv2D that the int8 kernels support becomes QuantizedDense/QuantizedConv2D
 * (weights int8 per the layer's settings, per-channel scales and biases rounded to float16 where that is safe,
 * activations dynamic or with the calibrated range frozen); everything else stays float, with a warning for
 * layers that have weights.
 */
export async function convertToInt8(o: ConvertOptions): Promise<ConvertResult> {
  const graph = ModelGraph.fromModel(o.model);
  const reports: LayerReport[] = [];
  const weightEncodings: Record<string, WeightEncoding> = {};
  const int8 = new Map<string, tf.Tensor[]>();
  try {
    for (const json of graph.layers) {
      const name = ModelGraph.nameOf(json);
      const layer = o.model.getLayer(name);
      if (layer.weights.length === 0) continue;
      const planned: Planned | LayerReport = !(json.class_name in INT8_CLASS)
        ? { name, class: json.class_name, status: 'float', reason: `${json.class_name} has no int8 kernel` }
        : graph.callCount(name) > 1
          ? { name, class: json.class_name, status: 'float', reason: 'shared layer (called at several places)' }
          : await quantizeLayer(o, json, layer);
      if ('json' in planned) {
        graph.replace(name, planned.json.class_name, planned.json.config);
        int8.set(name, planned.weights);
        reports.push(planned.report);
        Object.assign(weightEncodings, planned.encodings);
      } else {
        reports.push(planned);
        if (planned.reason !== 'excluded by an override') o.onWarn?.(`layer '${name}' (${planned.class}) stays float: ${planned.reason}`);
      }
    }
    const model = await graph.build();
    copyWeightsByLayer(o.model, model, new Set(int8.keys()));
    for (const [name, weights] of int8) model.getLayer(name).setWeights(weights);
    return { model, layers: reports, weightEncodings };
  } finally {
    for (const ws of int8.values()) tf.dispose(ws);
  }
}
