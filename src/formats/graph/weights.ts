import { ShrinkmlError } from '../../core/errors.js';
import { fromFloat16 } from '../encode.js';
import { elementCount, weightRanges, type ManifestEntry } from '../manifest.js';

/**
 * A graph model's weight constants, decoded from whatever the manifest stores (float32, int32, bool, string, or
 * float16 / uint8 / uint16 `quantization` storage) to the values tfjs would compute with. Pure and browser-safe:
 * the graph pieces work on model.json + bytes, never on a built tf.GraphModel, because a GraphModel cannot be
 * saved with new nodes.
 */
export interface GraphWeight {
  name: string;
  shape: number[];
  /** The dtype the graph computes with (the manifest's `dtype`). */
  dtype: string;
  /** How the input stored it: the quantization dtype, or the dtype itself. */
  stored: string;
  /** float32 weights as Float32Array, int32 as Int32Array; null for bool/string/complex (kept as raw bytes). */
  values: Float32Array | Int32Array | null;
  /** The entry and bytes exactly as read, for weights written back unchanged. */
  entry: ManifestEntry;
  raw: Uint8Array;
}

export function decodeGraphWeights(entries: readonly ManifestEntry[], data: ArrayBuffer, file: string): GraphWeight[] {
  return weightRanges(entries, data, file).map(({ entry, start, end }) => {
    const raw = new Uint8Array(data.slice(start, end));
    return {
      name: entry.name, shape: [...entry.shape], dtype: entry.dtype, stored: entry.quantization?.dtype ?? entry.dtype,
      values: decodeValues(entry, raw), entry, raw,
    };
  });
}

function decodeValues(entry: ManifestEntry, raw: Uint8Array): Float32Array | Int32Array | null {
  const n = elementCount(entry.shape);
  const q = entry.quantization;
  const buffer = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  if (q) {
    if (q.dtype === 'float16') return fromFloat16(new Uint16Array(buffer, 0, n));
    const codes = q.dtype === 'uint8' ? new Uint8Array(buffer, 0, n) : new Uint16Array(buffer, 0, n);
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    // tf.io.decodeWeights: float32 = q·scale + min; int32 rounds that.
    if (entry.dtype === 'int32') return Int32Array.from(codes, (c) => Math.round(c * scale + min));
    return Float32Array.from(codes, (c) => c * scale + min);
  }
  if (entry.dtype === 'float32') return new Float32Array(buffer, 0, n);
  if (entry.dtype === 'int32') return new Int32Array(buffer, 0, n);
  return null;
}

/** Whether the weight's values are still exactly what its stored bytes decode to (not edited since it was read). */
export function asStored(w: GraphWeight): boolean {
  const stored = decodeValues(w.entry, w.raw);
  const v = w.values;
  if (!stored || !v || stored.length !== v.length) return false;
  for (let i = 0; i < v.length; i++) if (!Object.is(stored[i], v[i])) return false;
  return true;
}

/** Bytes of a float32 weight as written into a manifest entry without quantization. */
export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export function requireFloat(w: GraphWeight): Float32Array {
  if (!(w.values instanceof Float32Array)) {
    throw new ShrinkmlError('INTERNAL', `graph weight '${w.name}' is ${w.dtype}, not float32`, { subject: w.name });
  }
  return w.values;
}
