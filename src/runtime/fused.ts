import * as tf from '@tensorflow/tfjs';
import {
  avgPoolInt8, AvgPoolInt8, DepthwiseConv2DInt8, EPILOGUE_ACTIVATIONS, fusedConv2dInt8, FusedConv2DInt8, fusedMatMulInt8,
  FusedMatMulInt8, maxPoolInt8, MaxPoolInt8, type EpilogueActivation, type PoolInt8Attrs,
} from '../../kernels/fused-int8/index.js';
import { dequantizeInt8 } from '../../kernels/dequantize-int8/index.js';
import { quantizeInt8, QuantizeInt8 } from '../../kernels/quantize-int8/index.js';
import { applyActivation } from './activations.js';
import { ensureKernel, getInt8Execution } from './execution.js';
import type { InputQuant } from './format.js';
import { ACTIVATION_RANGE } from './quantize-input.js';
import { QuantizedConv2D } from './quantized-conv2d.js';
import { QuantizedDense } from './quantized-dense.js';

/**
 * The fused int8 path of a Layers model (issue 18): the input is quantized once, where the first static int8 layer
 * needs it; int8 activations then flow from layer to layer, each int8 layer's GEMM epilogue requantizing straight
 * to the grid of the next int8 layer (through max/avg pooling and Flatten, which work on codes); values are
 * dequantized only at the output or before a float-only layer. Max pooling commutes with the (monotonic)
 * quantization, so for models without average pooling the result equals the layer-by-layer path bit for bit.
 *
 * Runs on the backends with the fused kernels (wasm, cpu); others, dynamic-mode layers and models that are not a
 * single chain keep the layer-by-layer path (model.predict).
 */

type Int8Layer = QuantizedConv2D | QuantizedDense;

/** One step of a fused int8 plan: quantize the input, an int8 layer (fused with requantization or not), pooling or flatten on codes, dequantize, or a float layer. */
export type FusedStep =
  | { kind: 'quantize'; quant: InputQuant }
  | { kind: 'int8'; layer: Int8Layer; out: InputQuant | null; fused: boolean }
  | { kind: 'pool'; max: boolean; attrs: PoolInt8Attrs }
  | { kind: 'flatten' }
  | { kind: 'dequantize'; quant: InputQuant; channels: number }
  | { kind: 'float'; layer: tf.layers.Layer };

/** The steps a Layers model runs on the fused int8 path, in order (see the module comment above). */
export interface FusedInt8Plan {
  steps: FusedStep[];
}

/** Layers that are the identity at inference. */
const IDENTITY = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

function staticInt8(layer: tf.layers.Layer): Int8Layer | null {
  return (layer instanceof QuantizedConv2D || layer instanceof QuantizedDense) && layer.inputQuant ? layer : null;
}

function poolAttrs(layer: tf.layers.Layer): { max: boolean; attrs: PoolInt8Attrs } | null {
  const cls = layer.getClassName();
  if (cls !== 'MaxPooling2D' && cls !== 'AveragePooling2D') return null;
  const c = layer.getConfig() as { poolSize: [number, number]; strides: [number, number]; padding: string; dataFormat?: string };
  if (c.dataFormat === 'channelsFirst' || (c.padding !== 'same' && c.padding !== 'valid')) return null;
  return { max: cls === 'MaxPooling2D', attrs: { filterSize: c.poolSize, strides: c.strides ?? c.poolSize, pad: c.padding } };
}

/** Channels (last axis) of a layer's output. */
function outChannels(layer: tf.layers.Layer): number {
  const shape = layer.outputShape as number[];
  return shape[shape.length - 1]!;
}

/** The model's layers as one chain (each fed by the one before), or null. */
function chainOf(model: tf.LayersModel): tf.layers.Layer[] | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  for (let i = 0; i < layers.length; i++) {
    const nodes = layers[i]!.inboundNodes;
    if (nodes.length !== 1 || nodes[0]!.inboundLayers.length !== 1) return null;
    const from = nodes[0]!.inboundLayers[0]!;
    if (i > 0 ? from !== layers[i - 1] : from.getClassName() !== 'InputLayer') return null;
  }
  return layers.length > 0 && layers[layers.length - 1]!.output === model.outputs[0] ? layers : null;
}

/** The input quantization of the next int8 layer reachable on codes from position `j` (channels C), or null. */
function nextInt8Quant(layers: tf.layers.Layer[], j: number, channels: number): InputQuant | null {
  for (let i = j; i < layers.length; i++) {
    const l = layers[i]!;
    const int8 = staticInt8(l);
    if (int8) return int8.inputQuant;
    if (poolAttrs(l) || IDENTITY.has(l.getClassName())) continue;
    if (l.getClassName() === 'Flatten' && channels % 4 === 0) continue;
    return null;
  }
  return null;
}

const sameQuant = (a: InputQuant, b: InputQuant) => a.scale === b.scale && a.zeroPoint === b.zeroPoint;

/**
 * The fused plan of a model, or null when it has no static int8 layer or is not a single chain of layers.
 * Pure: reads the model, changes nothing.
 */
export function planFusedInt8(model: tf.LayersModel): FusedInt8Plan | null {
  const layers = chainOf(model);
  if (!layers || !layers.some((l) => staticInt8(l))) return null;
  const steps: FusedStep[] = [];
  let codes: { quant: InputQuant; channels: number } | null = null;
  const toFloat = () => {
    if (codes) steps.push({ kind: 'dequantize', quant: codes.quant, channels: codes.channels });
    codes = null;
  };
  layers.forEach((layer, i) => {
    const int8 = staticInt8(layer);
    if (int8) {
      const quant = int8.inputQuant!;
      if (codes && !sameQuant(codes.quant, quant)) toFloat();
      if (!codes) steps.push({ kind: 'quantize', quant });
      const fused = EPILOGUE_ACTIVATIONS.includes(int8.activation);
      const out = fused ? nextInt8Quant(layers, i + 1, outChannels(int8)) : null;
      steps.push({ kind: 'int8', layer: int8, out, fused });
      codes = out ? { quant: out, channels: outChannels(int8) } : null;
      return;
    }
    if (codes) {
      const pool = poolAttrs(layer);
      if (pool) { steps.push({ kind: 'pool', ...pool }); return; }
      if (IDENTITY.has(layer.getClassName())) return;
      if (layer.getClassName() === 'Flatten' && codes.channels % 4 === 0) {
        steps.push({ kind: 'flatten' });
        codes = { ...codes, channels: outChannels(layer) };
        return;
      }
      toFloat();
    }
    steps.push({ kind: 'float', layer });
  });
  toFloat();
  return { steps };
}

function runStep(s: FusedStep, t: tf.Tensor): tf.Tensor {
  const { qmin, qmax } = ACTIVATION_RANGE;
  switch (s.kind) {
    case 'quantize':
      return quantizeInt8({ x: t, scale: s.quant.scale, zeroPoint: s.quant.zeroPoint, qmin, qmax });
    case 'dequantize':
      return dequantizeInt8({ q: t, k: s.channels, scale: s.quant.scale, zeroPoint: s.quant.zeroPoint });
    case 'pool':
      return (s.max ? maxPoolInt8 : avgPoolInt8)(t as tf.Tensor4D, s.attrs);
    case 'flatten':
      return tf.reshape(t, [t.shape[0]!, -1]);
    case 'float':
      return s.layer.apply(t) as tf.Tensor;
    case 'int8': {
      const l = s.layer;
      const q = l.inputQuant!;
      const epilogue = {
        activation: (s.fused ? l.activation : 'linear') as EpilogueActivation,
        ...(s.out ? { outScale: s.out.scale, outZeroPoint: s.out.zeroPoint } : {}),
      };
      const w = l.int8Weights();
      let y: tf.Tensor;
      if (l instanceof QuantizedConv2D) {
        y = fusedConv2dInt8({ x: t as tf.Tensor4D, w: w.packed, wScale: w.scale, bias: w.bias,
          filterShape: [l.kernelSize[0], l.kernelSize[1], l.inputChannels, l.filters], strides: l.strides, pad: l.padding,
          aScale: q.scale, aZeroPoint: q.zeroPoint, ...epilogue });
      } else {
        const lead = t.shape.slice(0, -1);
        const a = tf.reshape(t, [-1, t.shape[t.rank - 1]!]) as tf.Tensor2D;
        y = fusedMatMulInt8({ a, w: w.packed, wScale: w.scale, bias: w.bias, wZeroPoint: w.zeroPoint, k: w.k,
          aScale: q.scale, aZeroPoint: q.zeroPoint, ...epilogue });
        y = tf.reshape(y, [...lead, y.shape[1]!]);
      }
      return s.fused ? y : applyActivation(l.activation, y);
    }
  }
}

/** Runs a plan on one float input; the caller owns the returned tensor. */
export function runFusedInt8(plan: FusedInt8Plan, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => plan.steps.reduce((t, s) => runStep(s, t), x));
}

const plans = new WeakMap<tf.LayersModel, FusedInt8Plan | null>();
const KERNELS = [QuantizeInt8, FusedConv2DInt8, FusedMatMulInt8, MaxPoolInt8, AvgPoolInt8, DepthwiseConv2DInt8];

/** Whether the active backend runs the fused path (and execution is not forced to the float emulation). */
export function fusedInt8Available(): boolean {
  return getInt8Execution() !== 'emulate' && ['wasm', 'cpu'].includes(tf.getBackend()) && KERNELS.every(ensureKernel);
}

/**
 * model.predict on the fused int8 path where it applies (a single-input chain with static int8 layers, on wasm or
 * cpu), else plain model.predict. The plan is made once per model.
 */
export function predictInt8(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
  const input = Array.isArray(x) ? (x.length === 1 ? x[0]! : null) : x;
  if (!input || !fusedInt8Available()) return model.predict(x);
  let plan = plans.get(model);
  if (plan === undefined) {
    plan = planFusedInt8(model);
    plans.set(model, plan);
  }
  return plan ? runFusedInt8(plan, input) : model.predict(x);
}
