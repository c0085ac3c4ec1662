import { ShrinkmlError } from '../core/errors.js';
import { weightRanges, type ManifestEntry } from './manifest.js';
import { encodeGraphWeight } from './graph/quantize.js';
import type { WeightRole } from './graph/roles.js';
import type { WeightEncoding, WeightEncodings } from './types.js';

/**
 * Pure re-encoding of float32 weights into the storage forms tf.io.decodeWeights understands (manifest
 * `quantization` entries), and splitting the result into shards. Browser-safe.
 */
export interface EncodedWeights { entries: ManifestEntry[]; data: Uint8Array }

export interface EncodeOptions {
  entries: readonly ManifestEntry[];
  /** The weights as tfjs writes them: entries back to back, unquantized. */
  data: ArrayBuffer;
  encodings?: WeightEncodings;
}

export function encodeWeights({ entries, data, encodings }: EncodeOptions): EncodedWeights {
  const parts: Uint8Array[] = [];
  const out: ManifestEntry[] = [];
  for (const { entry, start, end } of weightRanges(entries, data, 'weights')) {
    const bytes = new Uint8Array(data.slice(start, end));
    const encoding = pickEncoding(entry, encodings);
    if (encoding === 'float32' || entry.quantization) {
      out.push({ ...entry });
      parts.push(bytes);
      continue;
    }
    if (entry.dtype !== 'float32') {
      throw new ShrinkmlError('BAD_INPUT', `weight '${entry.name}' is ${entry.dtype}; only float32 weights can be stored as ${encoding}`, { subject: entry.name });
    }
    const values = new Float32Array(bytes.buffer);
    if (!values.every(Number.isFinite)) {
      throw new ShrinkmlError('NON_FINITE', `weight '${entry.name}' has non-finite values; cannot store it as ${encoding}`, { subject: entry.name });
    }
    if (encoding === 'int8' || encoding === 'int4') {
      const coded = encodeGraphWeight({ weight: { name: entry.name, shape: entry.shape, dtype: 'float32', stored: 'float32', values, entry, raw: bytes }, role: layersRole(entry), mode: encoding });
      for (const part of coded.parts) { out.push(part.entry); parts.push(part.bytes); }
    } else if (encoding === 'float16') {
      out.push({ ...entry, quantization: { dtype: 'float16' } });
      parts.push(new Uint8Array(toFloat16(values).buffer));
    } else {
      const { q, scale, min } = affineQuantize(values, encoding === 'uint8' ? 255 : 65535);
      out.push({ ...entry, quantization: { dtype: encoding, scale, min } });
      parts.push(new Uint8Array(q.buffer));
    }
  }
  return { entries: out, data: concat(parts) };
}

/**
 * What a Layers weight is to int8/int4 (see graph/roles.ts), from its name: depthwise kernels have a channel per
 * (in, multiplier), embeddings a row per id, other kernels of rank ≥ 2 their output channels last; the rest
 * (biases, normalisation terms) are values, stored float16.
 */
function layersRole(entry: ManifestEntry): WeightRole {
  const r = entry.shape.length;
  const none = { kind: 'other' as const, channelAxes: [], reduceAxes: [], readers: [] };
  if (/depthwise_kernel$/.test(entry.name)) return r === 4 ? { kind: 'depthwise', channelAxes: [2, 3], reduceAxes: [0, 1], readers: [] } : none;
  if (/embeddings$/.test(entry.name)) return r === 2 ? { kind: 'embedding', channelAxes: [0], reduceAxes: [1], readers: [] } : none;
  if (r < 2 || !/kernel(_\d+)?$/.test(entry.name)) return none;
  return { kind: 'conv', channelAxes: [r - 1], reduceAxes: Array.from({ length: r - 1 }, (_, i) => i), readers: [] };
}

function pickEncoding(entry: ManifestEntry, encodings: WeightEncodings | undefined): WeightEncoding {
  const chosen = typeof encodings === 'function'
    ? encodings({ name: entry.name, shape: entry.shape, dtype: entry.dtype })
    : encodings?.[entry.name];
  if (chosen === undefined) return 'float32';
  if (!['float32', 'uint8', 'uint16', 'float16', 'int8', 'int4'].includes(chosen)) {
    throw new ShrinkmlError('BAD_INPUT', `weight '${entry.name}': unknown weight encoding '${chosen}'`, {
      subject: entry.name, suggestion: 'use float32, uint8, uint16, float16, int8 or int4',
    });
  }
  return chosen;
}

/**
 * Affine quantization over [min(x, 0), max(x, 0)] with the zero point nudged onto the grid (as the tfjs converter
 * does), so 0 decodes to exactly 0 and pruned weights stay pruned. Error per value is at most scale / 2.
 */
export function affineQuantize(values: Float32Array, qmax: 255 | 65535): { q: Uint8Array | Uint16Array; scale: number; min: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? (hi - lo) / qmax : 1;
  const zero = Math.min(qmax, Math.max(0, Math.round(-lo / scale)));
  const min = -zero * scale;
  const q = qmax === 255 ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.min(qmax, Math.max(0, Math.round((values[i] - min) / scale)));
  return { q, scale, min };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even (overflow becomes ±Inf, tiny values flush through subnormals). */
export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) { out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); continue; }
    const e = exp - 112; // rebias 127 → 15
    if (e >= 0x1f) { out[i] = sign | 0x7c00; continue; }
    if (e <= 0) {
      if (e < -10) { out[i] = sign; continue; }
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rem > halfway || (rem === halfway && (half & 1))) half++;
      out[i] = sign | half;
      continue;
    }
    let half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    // A carry out of the mantissa bumps the exponent, which is the correctly rounded result (up to Inf).
    if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
    out[i] = sign | half;
  }
  return out;
}

/** IEEE half bits → its value (exact: every float16 is a float32). */
export function fromFloat16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    out[i] = exp === 0 ? sign * mant * 2 ** -24
      : exp === 0x1f ? (mant ? NaN : sign * Infinity)
        : sign * (1024 + mant) * 2 ** (exp - 25);
  }
  return out;
}

/** Split data into shards of at most `shardSizeBytes` (default: one shard). */
export function splitShards(data: Uint8Array, shardSizeBytes?: number): Uint8Array[] {
  if (shardSizeBytes !== undefined && (!Number.isSafeInteger(shardSizeBytes) || shardSizeBytes < 1)) {
    throw new ShrinkmlError('BAD_INPUT', `shard size ${shardSizeBytes} must be a positive whole number of bytes`, { subject: 'shardSizeBytes' });
  }
  if (shardSizeBytes === undefined || data.byteLength <= shardSizeBytes) return [data];
  const shards: Uint8Array[] = [];
  for (let at = 0; at < data.byteLength; at += shardSizeBytes) shards.push(data.subarray(at, at + shardSizeBytes));
  return shards;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}
