import {
  affineParams, dequantize, packInt8, quantize, symmetricParams, type QParams, type QRange,
} from '../core/numerics.js';

/** How one weight tensor is quantized. Data: it round-trips through JSON configs. */
export interface WeightQuantConfig {
  /** 2..8; the int8 kernels store any of them in an int8 lane. */
  bits: number;
  /** One scale per output channel (last axis in tfjs layouts) instead of one per tensor. */
  perChannel: boolean;
  /** Zero point 0 (the spec's default for weights); asymmetric weights need per-channel zero points. */
  symmetric: boolean;
  /** Drop the lowest code so the range is symmetric around 0 (int8: [-127, 127]). */
  narrowRange: boolean;
}

export const DEFAULT_WEIGHT_CONFIG: Readonly<WeightQuantConfig> = { bits: 8, perChannel: true, symmetric: true, narrowRange: true };

/** Signed integer range of a weight config: bits b gives [-2^(b-1) (+1 if narrow), 2^(b-1) - 1]. */
export function weightRange(config: Pick<WeightQuantConfig, 'bits' | 'narrowRange'>): QRange {
  const half = 2 ** (config.bits - 1);
  return { qmin: config.narrowRange ? -(half - 1) : -half, qmax: half - 1 };
}

/** Min and max of each channel of the last axis (channels = 1: the whole tensor). */
export function channelMinMax(values: ArrayLike<number>, channels: number): { min: Float64Array; max: Float64Array } {
  const min = new Float64Array(channels).fill(Infinity);
  const max = new Float64Array(channels).fill(-Infinity);
  for (let i = 0; i < values.length; i++) {
    const c = i % channels;
    const v = values[i]!;
    if (v < min[c]!) min[c] = v;
    if (v > max[c]!) max[c] = v;
  }
  for (let c = 0; c < channels; c++) if (min[c] === Infinity) { min[c] = 0; max[c] = 0; }
  return { min, max };
}

export interface QuantizedWeight {
  /** Integer codes in the tensor's own layout. */
  q: Int32Array;
  /** One entry per output channel (per-channel) or a single entry (per-tensor). */
  params: QParams[];
  range: QRange;
  shape: number[];
}

/** Quantizes a weight tensor whose output channels are its last axis (Dense [in, out], Conv2D [kh, kw, in, out]). */
export function quantizeWeight(o: { values: ArrayLike<number>; shape: number[]; config: WeightQuantConfig }): QuantizedWeight {
  const channels = o.config.perChannel ? (o.shape.at(-1) ?? 1) : 1;
  const range = weightRange(o.config);
  const { min, max } = channelMinMax(o.values, channels);
  const choose = o.config.symmetric ? symmetricParams : affineParams;
  const params = Array.from(min, (lo, c) => choose({ min: lo, max: max[c]!, range }));
  const q = quantize(o.values, { params: channels === 1 ? params[0]! : params, range });
  return { q, params, range, shape: [...o.shape] };
}

export function dequantizeWeight(w: QuantizedWeight): Float32Array {
  return dequantize(w.q, { params: w.params.length === 1 ? w.params[0]! : w.params });
}

/** Per-output-channel scales and zero points, expanded to N entries when the weight was per-tensor. */
export function channelParams(w: QuantizedWeight): { scales: Float32Array; zeroPoints: Int32Array } {
  const n = w.shape.at(-1) ?? 1;
  const at = (c: number) => w.params[w.params.length === 1 ? 0 : c]!;
  return {
    scales: Float32Array.from({ length: n }, (_, c) => at(c).scale),
    zeroPoints: Int32Array.from({ length: n }, (_, c) => at(c).zeroPoint),
  };
}

/**
 * Codes of a [K, N] kernel (any layout whose last axis is N) as the int8 kernels want them: transposed to one
 * row of K per output channel and packed four to an int32 (docs/numerics.md "Packing").
 */
export function packKernelRows(q: ArrayLike<number>, n: number): Int32Array {
  const k = q.length / n;
  const rows = new Int32Array(q.length);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) rows[j * k + i] = q[i * n + j]!;
  return packInt8(rows, { rowLength: k });
}
