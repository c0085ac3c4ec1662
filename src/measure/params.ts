import * as tf from '@tensorflow/tfjs';
import { isGraphModel, type AnyModel } from './run.js';

/** One weight tensor. */
export interface WeightStats {
  /** The manifest name, e.g. `dense_Dense1/kernel`. */
  name: string;
  shape: number[];
  dtype: string;
  params: number;
  nonzeroParams: number;
  /** Bits per parameter as stored: 32 for float32, 8 for uint8-quantized or int8, 16 for uint16/float16. */
  weightBits: number | null;
}

/**
 * One row of the per-layer table. For a tf.GraphModel there are no layers: each weight tensor is a row, with
 * `class` 'Const' (the op that holds it) and its own shape as `outputShape`.
 */
export interface LayerStats {
  name: string;
  class: string;
  params: number;
  nonzeroParams: number;
  /** 1 − nonzero/params over every weight of the layer; 0 for a layer without weights. */
  sparsity: number;
  /** Bits of the layer's largest weight (the kernel, which dominates its size); null without weights. */
  weightBits: number | null;
  outputShape: unknown;
  weights: WeightStats[];
}

export interface ParamStats {
  /** Every parameter, trainable or not (batch-norm statistics and biases included). */
  params: number;
  nonzeroParams: number;
  /** 1 − nonzeroParams/params over all parameters. */
  sparsity: number;
  layers: LayerStats[];
}

export interface CountParamsOptions {
  model: AnyModel;
  /** The on-disk manifest entries, so a uint8-quantized weight reports 8 bits, not the 32 it has in memory. */
  weightSpecs?: tf.io.WeightsManifestEntry[];
  /** Per-weight bits by manifest name; overrides the manifest (the int8 format reports its layers here). */
  weightBits?: Record<string, number>;
  /**
   * Weights that hold int8 codes packed four to an int32 (tfjs has no int8 dtype), by name → the real number of
   * parameters. Their codes are counted one by one, so params and sparsity describe the int8 values, not the words.
   */
  packedInt8?: Record<string, number>;
}

/** Non-zero int8 codes in a packed int32 tensor (row padding bytes are zero and so never count). */
async function countPackedNonzero(t: tf.Tensor): Promise<number> {
  const words = await t.data() as Int32Array;
  const bytes = new Int8Array(words.buffer, words.byteOffset, words.byteLength);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) n++;
  return n;
}

const QUANT_BITS: Record<string, number> = { uint8: 8, uint16: 16, float16: 16 };
const DTYPE_BITS: Record<string, number> = { float32: 32, int32: 32, bool: 8, complex64: 64 };

function bitsOf(name: string, dtype: string, specs: Map<string, tf.io.WeightsManifestEntry>, override?: Record<string, number>): number | null {
  if (override && override[name] !== undefined) return override[name];
  const spec = specs.get(name);
  const quant = spec?.quantization?.dtype;
  if (quant && QUANT_BITS[quant]) return QUANT_BITS[quant];
  return DTYPE_BITS[spec?.dtype ?? dtype] ?? null;
}

/** Non-zero counts are computed on the device and read back as one small vector, not the weights themselves. */
async function countNonzero(tensors: tf.Tensor[]): Promise<number[]> {
  if (tensors.length === 0) return [];
  // String constants (lookup tables in some graphs) have no zero; every entry counts as non-zero.
  const counts = tf.tidy(() => tf.stack(tensors.map((t) => (t.dtype === 'string'
    ? tf.scalar(t.size, 'int32')
    : tf.notEqual(t, tf.scalar(0, t.dtype)).sum().cast('int32')))));
  try {
    return Array.from(await counts.data());
  } finally {
    counts.dispose();
  }
}

function outputShapeOf(layer: tf.layers.Layer): unknown {
  try {
    return layer.outputShape;
  } catch {
    return null; // a layer used at several places with different shapes has no single output shape
  }
}

function total(layers: LayerStats[], seen: Set<string>): ParamStats {
  let params = 0;
  let nonzeroParams = 0;
  for (const layer of layers) {
    for (const w of layer.weights) {
      if (seen.has(w.name)) continue; // a weight shared by two layers is one set of parameters
      seen.add(w.name);
      params += w.params;
      nonzeroParams += w.nonzeroParams;
    }
  }
  return { params, nonzeroParams, sparsity: params ? 1 - nonzeroParams / params : 0, layers };
}

function layerRow(name: string, cls: string, outputShape: unknown, weights: WeightStats[]): LayerStats {
  const params = weights.reduce((s, w) => s + w.params, 0);
  const nonzeroParams = weights.reduce((s, w) => s + w.nonzeroParams, 0);
  const largest = weights.reduce<WeightStats | undefined>((a, w) => (!a || w.params > a.params ? w : a), undefined);
  return {
    name, class: cls, params, nonzeroParams, sparsity: params ? 1 - nonzeroParams / params : 0,
    weightBits: largest?.weightBits ?? null, outputShape, weights,
  };
}

/** Parameters, non-zero parameters and sparsity, in total and per layer (per weight tensor for a GraphModel). */
export async function countParams(options: CountParamsOptions): Promise<ParamStats> {
  const specs = new Map((options.weightSpecs ?? []).map((s) => [s.name, s]));
  const { model } = options;
  if (isGraphModel(model)) {
    const entries = Object.entries(model.weights).flatMap(([name, ts]) => ts.map((t, i) => ({ name: ts.length > 1 ? `${name}:${i}` : name, t })));
    const counts = await countNonzero(entries.map((e) => e.t));
    const layers = entries.map(({ name, t }, i) => layerRow(name, 'Const', t.shape, [{
      name, shape: t.shape, dtype: t.dtype, params: t.size, nonzeroParams: counts[i],
      weightBits: bitsOf(name, t.dtype, specs, options.weightBits),
    }]));
    return total(layers, new Set());
  }
  const perLayer = model.layers.map((layer) => layer.weights.map((v) => ({ v, t: v.read() })));
  const packed = options.packedInt8 ?? {};
  const counts = await countNonzero(perLayer.flat().map((e) => e.t));
  for (const [i, { v, t }] of perLayer.flat().entries()) {
    if (packed[v.originalName] !== undefined) counts[i] = await countPackedNonzero(t);
  }
  let k = 0;
  const layers = model.layers.map((layer, li) => layerRow(layer.name, layer.getClassName(), outputShapeOf(layer),
    perLayer[li].map(({ v, t }) => ({
      name: v.originalName, shape: t.shape, dtype: t.dtype, params: packed[v.originalName] ?? t.size, nonzeroParams: counts[k++],
      weightBits: bitsOf(v.originalName, t.dtype, specs, options.weightBits),
    }))));
  return total(layers, new Set());
}
