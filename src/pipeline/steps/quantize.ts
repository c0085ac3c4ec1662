import type * as tf from '@tensorflow/tfjs';
import { int8WeightBits, OBSERVER_NAMES, runQuantizeStep } from '../../quantize/index.js';
import { ZeroHold } from '../hold-zeros.js';
import { rezeroInt8, zeroMasks } from '../int8-zeros.js';
import { BATCH_SIZE, EPOCHS, LAYER_LIST, LEARNING_RATE, layersAt, num } from './shared.js';
import { onnxPtq } from './onnx.js';
import { graphPtq } from './graph.js';
import type { PipelineStep, StepContext, StepResult } from './types.js';

/** Options ptq and qat share: how weights and activations are quantized, and which layers stay float. */
const COMMON = {
  perChannel: { type: 'boolean', description: 'one weight scale per output channel (default true)' },
  observer: { type: 'string', enum: OBSERVER_NAMES, description: 'activation range observer for calibration (default minmax)' },
  calibSamples: { type: 'number', integer: true, min: 1, max: 1_000_000, description: 'calibration samples (default 512)' },
  exclude: LAYER_LIST,
} as const;

/** src/quantize's config: layers switched off by the search or excluded by the user stay float. */
function quantConfig(options: Record<string, unknown>, ctx: StepContext, qat?: Record<string, number>): Record<string, unknown> {
  // int8 has no softer setting: any fallback level keeps the layer float.
  const names = [...((options.exclude as string[] | undefined) ?? []), ...layersAt(ctx.levels, (l) => l > 0)];
  return {
    overrides: [...new Set(names)].map((name) => ({ match: { name: /^\/.*\/[a-z]*$/.test(name) ? name : `/^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$/` }, exclude: true })),
    ...(qat ? { qat } : {}),
  };
}

async function quantize(mode: 'dynamic' | 'static' | 'qat', options: Record<string, unknown>, ctx: StepContext): Promise<StepResult> {
  const needsCalibration = mode !== 'dynamic';
  // QAT trains every weight: the hold re-zeroes pruned ones after each batch, so they cannot regrow and the
  // fake-quant (its per-channel scales included) trains on the sparse weights the int8 model will have.
  const hold = mode === 'qat' ? await ZeroHold.of(ctx.model) : undefined;
  const masks = hold?.active ? await zeroMasks(ctx.model) : undefined;
  const qat = mode === 'qat' ? {
    epochs: num(options, 'epochs', 1), batchSize: num(options, 'batchSize', 64), learningRate: num(options, 'learningRate', 1e-4), seed: ctx.seed,
  } : undefined;
  const result = await runQuantizeStep({
    model: ctx.model, spec: mode, config: quantConfig(options, ctx, qat),
    perChannel: typeof options.perChannel === 'boolean' ? options.perChannel : undefined,
    observer: options.observer as never, calibSamples: typeof options.calibSamples === 'number' ? options.calibSamples : undefined,
    calibration: needsCalibration ? await ctx.data.get('calibration', `${mode} quantization`) : undefined,
    train: mode === 'qat' ? await ctx.data.get('train', 'QAT') : undefined,
    callbacks: hold?.active ? [hold] : undefined,
    onProgress: ctx.onProgress, onWarn: ctx.onWarn,
  });
  const model: tf.LayersModel = result.model;
  // Safety net, expected to clear nothing: the hold finds its masks in the QAT model by layer and weight name, so a
  // layer that the prepare phase or prepareQat rebuilt under another name would regrow unnoticed. The count is in
  // the summary, and a warning says when it was not 0.
  const rezeroed = masks ? await rezeroInt8(model, masks) : 0;
  if (rezeroed > 0) ctx.onWarn?.(`qat: ${rezeroed} int8 codes of pruned weights were not 0 after fine-tuning; set back to 0`);
  Object.assign(ctx.output.shrinkml, result.saveOptions.shrinkml ?? {});
  Object.assign(ctx.output.weightBits, int8WeightBits(model));
  const r = result.report;
  return {
    model,
    summary: {
      mode: r.mode, perChannel: r.config.weights.perChannel, observer: needsCalibration ? r.config.activations.observer : undefined,
      layers: r.layers, folded: r.folded, fused: r.fused, calibration: r.calibration,
      qat: r.qat ? { epochs: r.qat.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, acc: e.acc, seconds: e.seconds })), learningRate: r.qat.learningRate } : undefined,
      heldZeros: hold?.active ? hold.layers : undefined, prunedCodesRezeroed: rezeroed, warnings: r.warnings,
    },
  };
}

/** Post-training int8 (shrinkml int8 format, run by shrinkml/runtime's int8 kernels). */
export const ptqStep: PipelineStep = {
  name: 'ptq',
  phase: 'quantize',
  description: 'post-training int8: dynamic (activations quantized per batch) or static (calibrated activation ranges)',
  schema: { type: 'object', properties: {
    mode: { type: 'string', enum: ['dynamic', 'static'] }, ...COMMON,
    target: { type: 'string', enum: ['cpu', 'webgpu'], description: "ONNX static: the runtime the Q/DQ form is for (default cpu, fused by onnxruntime; webgpu: what onnxruntime-web's WebGPU provider computes right)" },
  } },
  formats: {
    layers: {
      needs: (options) => (options.mode === 'dynamic' ? 'none' : 'calibration'),
      run: (options, ctx) => quantize(options.mode === 'dynamic' ? 'dynamic' : 'static', options, ctx),
    },
    onnx: onnxPtq,
    graph: graphPtq,
  },
};

/** Quantization-aware training, then static int8. In quick mode (sensitivity) it is calibrated only. */
export const qatStep: PipelineStep = {
  name: 'qat',
  phase: 'quantize',
  description: 'quantization-aware fine-tuning (fake-quant, straight-through estimator), then static int8; pruned zeros stay zero',
  schema: { type: 'object', properties: { epochs: { ...EPOCHS, min: 1 }, learningRate: LEARNING_RATE, batchSize: BATCH_SIZE, ...COMMON } },
  formats: {
    layers: {
      needs: (_options, quick) => (quick ? 'calibration' : 'train'),
      run: (options, ctx) => quantize(ctx.quick ? 'static' : 'qat', options, ctx),
    },
  },
};
