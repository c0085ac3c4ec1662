/**
 * Reference quantization numerics; docs/numerics.md is the spec this file mirrors line by line.
 * Every fast kernel (wasm, webgpu) is tested bit-exact against these functions, so they favour clarity over speed.
 */
import { ShrinkmlError } from './errors.js';

export type QType = 'int8' | 'uint8';

export interface QRange { qmin: number; qmax: number }

export interface QParams { scale: number; zeroPoint: number }

const f32 = Math.fround;

/** Integer range of a quantized type; narrow range drops the lowest code. */
export function qRange(options: { dtype?: QType; narrow?: boolean } = {}): QRange {
  const { dtype = 'int8', narrow = false } = options;
  const base = dtype === 'int8' ? { qmin: -128, qmax: 127 } : { qmin: 0, qmax: 255 };
  return narrow ? { qmin: base.qmin + 1, qmax: base.qmax } : base;
}

/** Round half to even (banker's rounding), as ONNX QuantizeLinear, WGSL round and wasm f32.nearest do. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x); // half up
  // Math.round only differs from half-even on exact .5 ties whose half-up result is odd.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** q = clamp(roundHalfEven(f32(x / scale)) + zeroPoint, qmin, qmax); NaN maps to zeroPoint. */
export function quantizeValue(x: number, p: QParams, r: QRange): number {
  if (Number.isNaN(x)) return p.zeroPoint;
  const q = roundHalfEven(f32(x / p.scale)) + p.zeroPoint;
  return q < r.qmin ? r.qmin : q > r.qmax ? r.qmax : q;
}

/** x' = f32((q - zeroPoint) * scale). */
export function dequantizeValue(q: number, p: QParams): number {
  return f32((q - p.zeroPoint) * p.scale);
}

export interface QuantizeOptions {
  /** One entry for per-tensor, or one per channel of the last axis. */
  params: QParams | QParams[];
  range: QRange;
}

function paramsAt(params: QParams | QParams[], i: number): QParams {
  return Array.isArray(params) ? params[i % params.length]! : params;
}

/** Quantizes a flat tensor whose channel axis is the last one (index % channels). */
export function quantize(x: ArrayLike<number>, options: QuantizeOptions): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = quantizeValue(x[i]!, paramsAt(options.params, i), options.range);
  return out;
}

export function dequantize(q: ArrayLike<number>, options: { params: QParams | QParams[] }): Float32Array {
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = dequantizeValue(q[i]!, paramsAt(options.params, i));
  return out;
}

/** dequantize(quantize(x)): the forward of FakeQuant. */
export function fakeQuantize(x: ArrayLike<number>, options: QuantizeOptions): Float32Array {
  return dequantize(quantize(x, options), options);
}

/** Symmetric weights: zeroPoint 0, scale = amax / qmax (int8 narrow: amax / 127). */
export function symmetricParams(options: { min: number; max: number; range?: QRange }): QParams {
  const { qmax } = options.range ?? qRange({ narrow: true });
  const amax = Math.max(Math.abs(options.min), Math.abs(options.max));
  return { scale: amax > 0 ? f32(amax / qmax) : 1, zeroPoint: 0 };
}

/** Asymmetric activations: range widened to contain 0, scale = (max - min) / (qmax - qmin). */
export function affineParams(options: { min: number; max: number; range?: QRange }): QParams {
  const r = options.range ?? qRange();
  const min = Math.min(options.min, 0);
  const max = Math.max(options.max, 0);
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new ShrinkmlError('NON_FINITE', `numerics: cannot choose quantization parameters for range [${min}, ${max}]`);
  }
  const scale = max > min ? f32((max - min) / (r.qmax - r.qmin)) : 1;
  const zp = roundHalfEven(r.qmin - min / scale);
  return { scale, zeroPoint: Math.min(r.qmax, Math.max(r.qmin, zp)) };
}

/** Packs rows of int8 (or uint8) into int32 words, lane 0 = lowest byte, each row zero-padded to ceil(K/4) words. */
export function packInt8(values: ArrayLike<number>, options: { rowLength?: number } = {}): Int32Array {
  const k = options.rowLength ?? values.length;
  if (k <= 0 || values.length % k !== 0) {
    throw new ShrinkmlError('BAD_INPUT', `numerics: packInt8 got ${values.length} values, not a multiple of rowLength ${k}`);
  }
  const rows = values.length / k;
  const words = Math.ceil(k / 4);
  const out = new Int32Array(rows * words);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) {
      out[r * words + (i >> 2)]! |= (values[r * k + i]! & 0xff) << (8 * (i & 3));
    }
  }
  return out;
}

/** Inverse of packInt8: returns rows * rowLength signed (or unsigned) bytes, pad bytes dropped. */
export function unpackInt8(
  packed: ArrayLike<number>,
  options: { rowLength: number; signed?: boolean },
): Int32Array {
  const k = options.rowLength;
  const words = Math.ceil(k / 4);
  const rows = Math.floor(packed.length / words);
  const out = new Int32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) {
      const byte = (packed[r * words + (i >> 2)]! >>> (8 * (i & 3))) & 0xff;
      out[r * k + i] = options.signed === false ? byte : (byte << 24) >> 24;
    }
  }
  return out;
}
