import { ShrinkmlError } from '../core/errors.js';
import type { WarnFn } from '../core/progress.js';
import { elementCount, entryByteLength, weightRanges, type ManifestEntry, type ManifestGroup } from './manifest.js';

/**
 * Pure checks on a parsed manifest and its weight bytes (no fs, browser-safe). They run before tfjs sees the
 * model, so an untrusted file fails with a named error instead of an allocation crash or silent garbage.
 */

/** One tensor may not declare more elements than this (1 GiB of float32); real layers are far smaller. */
export const MAX_ELEMENTS_PER_TENSOR = 2 ** 28;
/** All weight data together may not exceed this many bytes (ArrayBuffers and tfjs both struggle beyond 2 GiB). */
export const MAX_TOTAL_WEIGHT_BYTES = 2 ** 31;

export interface SizeLimits { maxElementsPerTensor?: number; maxTotalBytes?: number }

/** Refuse declared shapes too large to allocate, before reading or allocating anything. */
export function checkSizeLimits(groups: readonly ManifestGroup[], file: string, limits: SizeLimits = {}): void {
  const maxElements = limits.maxElementsPerTensor ?? MAX_ELEMENTS_PER_TENSOR;
  const maxBytes = limits.maxTotalBytes ?? MAX_TOTAL_WEIGHT_BYTES;
  let total = 0;
  for (const entry of groups.flatMap((g) => g.weights)) {
    const n = elementCount(entry.shape);
    if (n > maxElements) {
      throw new ShrinkmlError('LIMIT', `${file}: weight '${entry.name}' declares shape [${entry.shape.join(', ')}] ` +
        `(${n} elements), over the limit of ${maxElements}`, { subject: entry.name });
    }
    total += entryByteLength(entry) ?? 0;
  }
  if (total > maxBytes) {
    throw new ShrinkmlError('LIMIT', `${file}: weights declare ${total} bytes in total, over the limit of ${maxBytes}`, { subject: file });
  }
}

/** Bytes a group must hold, or null when it has string weights (their size is only known from the data). */
export function expectedGroupBytes(group: ManifestGroup): number | null {
  let total = 0;
  for (const entry of group.weights) {
    const size = entryByteLength(entry);
    if (size === null) return null;
    total += size;
  }
  return total;
}

export interface GroupBytesCheck {
  group: ManifestGroup;
  /** Size of each shard file, in `group.paths` order. */
  shardBytes: readonly number[];
  /** The group's concatenated data; needed only for groups with string weights. */
  data?: ArrayBuffer;
  file: string;
}

/** A truncated or padded shard shifts every later weight, so the sizes must match the manifest exactly. */
export function checkGroupBytes({ group, shardBytes, data, file }: GroupBytesCheck): void {
  const actual = shardBytes.reduce((a, b) => a + b, 0);
  let expected = expectedGroupBytes(group);
  if (expected === null) {
    if (!data) return;
    const ranges = weightRanges(group.weights, data, file);
    expected = ranges.length ? ranges[ranges.length - 1].end : 0;
  }
  if (actual !== expected) {
    const shards = group.paths.length > 1 ? `shards ${group.paths.join(', ')} hold` : `shard ${group.paths[0]} holds`;
    throw new ShrinkmlError('BAD_INPUT', `${file}: weight ${shards} ${actual} bytes but the manifest needs ${expected} (${actual < expected ? 'truncated' : 'too long'})`, {
      subject: group.paths[0], suggestion: 're-export the model; a shard was cut short, padded or replaced',
    });
  }
}

export interface FiniteCheck {
  entries: readonly ManifestEntry[];
  /** All groups' data concatenated in manifest order, as tfjs decodes it. */
  data: ArrayBuffer;
  file: string;
  allowNonFinite?: boolean;
  /**
   * ±Infinity is a value, not damage: a graph model's constants are more than trained weights (NMS score thresholds,
   * PadV2's pad value before a max pool, attention masks), and real ones hold -Infinity. NaN is refused still.
   */
  allowInfinity?: boolean;
  onWarn?: WarnFn;
}

/** NaN/Inf weights make every prediction garbage; fail naming the tensor unless the caller allows them. */
export function checkFinite({ entries, data, file, allowNonFinite, allowInfinity, onWarn }: FiniteCheck): void {
  for (const { entry, start, end } of weightRanges(entries, data, file)) {
    const found = countNonFinite(entry, data.slice(start, end), !!allowInfinity);
    if (!found) continue;
    const message = `${file}: weight '${entry.name}' has ${found.count} non-finite value${found.count > 1 ? 's' : ''} ` +
      `(first ${found.first} at index ${found.index})`;
    if (!allowNonFinite) {
      throw new ShrinkmlError('NON_FINITE', message, {
        subject: entry.name, suggestion: 'retrain or repair the weights, or pass allowNonFinite (--allow-nonfinite) to load anyway',
      });
    }
    onWarn?.(`${message}; loading anyway (allowNonFinite)`);
  }
}

interface NonFinite { count: number; index: number; first: number }

function countNonFinite(entry: ManifestEntry, bytes: ArrayBuffer, allowInfinity: boolean): NonFinite | null {
  const q = entry.quantization;
  let values: ArrayLike<number>;
  if (q?.dtype === 'float16') values = nonFiniteHalves(new Uint16Array(bytes));
  else if (q) {
    if (entry.dtype !== 'float32') return null;
    // Same arithmetic as tf.io.decodeWeights: float64 multiply-add, then stored into a Float32Array.
    const raw = q.dtype === 'uint8' ? new Uint8Array(bytes) : new Uint16Array(bytes);
    const out = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw[i] * q.scale! + q.min!;
    values = out;
  } else if (entry.dtype === 'float32' || entry.dtype === 'complex64') values = new Float32Array(bytes);
  else return null;
  let result: NonFinite | null = null;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i]) || (allowInfinity && !Number.isNaN(values[i]))) continue;
    if (result) result.count++;
    else result = { count: 1, index: i, first: values[i] };
  }
  return result;
}

/** Half floats with an all-ones exponent are NaN/Inf; this maps them to that value and every finite half to 0. */
function nonFiniteHalves(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i];
    if ((h & 0x7c00) === 0x7c00) out[i] = (h & 0x3ff) ? NaN : (h & 0x8000 ? -Infinity : Infinity);
    else out[i] = 0;
  }
  return out;
}
