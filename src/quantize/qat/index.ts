import * as tf from '@tensorflow/tfjs';
import type { ProgressFn } from '../../core/progress.js';
import type { Dataset } from '../../data/types.js';
import { trainSeeded, type EpochLog } from '../../train/seeded.js';
import { parseQuantConfig, settingsFor, type QuantConfig } from '../config.js';
import { convertToInt8, type ConvertResult } from '../convert.js';
import { copyWeightsByLayer, ModelGraph } from '../graph.js';
import type { Range } from '../observers/types.js';
import { INT8_CLASS, unsupportedReason } from '../support.js';
import { seededCallbacks, type QatCallback } from './callbacks.js';
import { QatConv2D, QatDense, QatLayer, settleRanges } from './layers.js';

export { QatConv2D, QatDense, QatLayer };
export type { QatCallback };

/** A model prepared for quantization-aware training, and the float model convertQat rebuilds from it. */
export interface QatModel {
  /** The float model with fake-quant layers in place of the int8-convertible Dense/Conv2D. */
  model: tf.LayersModel;
  /** The prepared float model it came from (its topology is what convertQat rebuilds). */
  source: tf.LayersModel;
  /** The config it was prepared with (quantizeModel records it; convertQat's int8 conversion uses it). */
  config?: QuantConfig;
}

/**
 * Inserts fake quantization on the weights and inputs of every Dense/Conv2D that will become int8 (BatchNorm was
 * already folded by the prepare phase): they are replaced by QatDense/QatConv2D with the same weights and the
 * calibrated input ranges as starting points.
 */
export async function prepareQat(o: { model: tf.LayersModel; config: QuantConfig; ranges?: Record<string, Range> }): Promise<QatModel> {
  const graph = ModelGraph.fromModel(o.model);
  for (const json of [...graph.layers]) {
    const name = ModelGraph.nameOf(json);
    if (!(json.class_name in INT8_CLASS) || graph.callCount(name) !== 1) continue;
    const settings = settingsFor(o.config, { name, className: json.class_name });
    const kernel = o.model.getLayer(name).weights[0]!.shape as number[];
    const k = kernel.slice(0, -1).reduce((a, b) => a * b, 1);
    if (settings.exclude || unsupportedReason(json, k, settings.weights)) continue;
    const c = json.config;
    const r = o.ranges?.[name];
    const common = {
      name, activation: c.activation ?? 'linear', use_bias: c.use_bias !== false, weight_bits: settings.weights.bits,
      narrow_range: settings.weights.narrowRange, per_channel: settings.weights.perChannel,
      init_min: r?.min ?? null, init_max: r?.max ?? null, averaging_constant: o.config.qat.averagingConstant,
    };
    if (json.class_name === 'Dense') graph.replace(name, QatDense.className, { ...common, units: c.units });
    else {
      graph.replace(name, QatConv2D.className, {
        ...common, filters: c.filters, kernel_size: kernel.slice(0, 2), padding: c.padding,
        strides: Array.isArray(c.strides) ? c.strides : [c.strides ?? 1, c.strides ?? 1],
      });
    }
  }
  const model = await graph.build();
  copyWeightsByLayer(o.model, model, new Set());
  return { model, source: o.model };
}

/**
 * The trained float weights (in the prepared model's topology) and the input ranges the QAT layers ended with; with
 * `{ int8: true }`, the static int8 model those give (convertToInt8 with the learned ranges), ready for
 * saveLayersModel (pass its weightEncodings) and stock tf.loadLayersModel after `import 'shrinkml/runtime'`.
 */
export async function convertQat(qat: QatModel, options?: { int8?: false }): Promise<{ model: tf.LayersModel; ranges: Record<string, Range> }>;
export async function convertQat(qat: QatModel, options: { int8: true; config?: QuantConfig }): Promise<ConvertResult & { ranges: Record<string, Range> }>;
export async function convertQat(qat: QatModel, options: { int8?: boolean; config?: QuantConfig } = {}): Promise<{ model: tf.LayersModel; ranges: Record<string, Range> }> {
  await settleRanges(qat.model);
  const model = await ModelGraph.fromModel(qat.source).build();
  copyWeightsByLayer(qat.model, model, new Set());
  const ranges: Record<string, Range> = {};
  for (const layer of qat.model.layers) if (layer instanceof QatLayer && layer.range) ranges[layer.name] = { ...layer.range };
  if (!options.int8) return { model, ranges };
  try {
    const config = options.config ?? qat.config ?? parseQuantConfig({ mode: 'qat' });
    return { ...await convertToInt8({ model, mode: 'static', config, ranges }), ranges };
  } finally {
    model.dispose();
  }
}

export interface QatSummary {
  epochs: EpochLog[];
  learningRate: number;
  batchSize: number;
  seed: number;
}

export interface RunQatOptions {
  model: tf.LayersModel;
  config: QuantConfig;
  ranges: Record<string, Range>;
  train: Dataset;
  validation?: Dataset;
  /**
   * tfjs callbacks called per batch and epoch as in fit(), bound to the QAT model: fake-quant layers in place of
   * the Dense/Conv2D being quantized, under the same layer names, with kernels named `kernel` as before. A
   * mask-holding callback (src/pipeline/hold-zeros.ts) keeps pruned weights at zero, so the fake-quant sees the
   * sparse weights the int8 model will have.
   */
  callbacks?: readonly QatCallback[];
  onProgress?: ProgressFn;
}

/**
 * QAT fine-tuning: prepareQat, a seeded training run (categorical cross-entropy on the model's softmax output,
 * Adam at a small learning rate), then the trained weights and ranges for the static int8 conversion.
 */
export async function runQat(o: RunQatOptions): Promise<{ model: tf.LayersModel; ranges: Record<string, Range>; summary: QatSummary }> {
  const qat = await prepareQat(o);
  try {
    const { epochs, batchSize, learningRate, seed } = o.config.qat;
    qat.model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const callbacks = seededCallbacks({
      callbacks: o.callbacks ?? [], model: qat.model, epochs, samples: o.train.count, batchSize, validation: !!o.validation,
    });
    await callbacks.begin();
    const history = await trainSeeded({
      model: qat.model, train: o.train, validation: o.validation, epochs, batchSize, seed, onProgress: o.onProgress, callbacks: callbacks.hooks,
    });
    await callbacks.end();
    const out = await convertQat(qat);
    // Calibrated ranges stand in for layers the QAT pass did not wrap (none today; kept for safety).
    return { model: out.model, ranges: { ...o.ranges, ...out.ranges }, summary: { epochs: history.epochs, learningRate, batchSize, seed } };
  } finally {
    qat.model.optimizer?.dispose();
    qat.model.dispose();
  }
}
