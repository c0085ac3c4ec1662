import { ShrinkmlError } from '../core/errors.js';
import type { NodeProto } from '../formats/onnx/proto.js';
import { getInt } from './attrs.js';
import { quantizeValue, qRange, symmetricParams, type QRange } from '../core/numerics.js';

/**
 * Symmetric per-channel int8 weights, the format onnxruntime's integer kernels want (zero point 0, so pruned
 * zeros stay exactly zero). Numerics are src/core/numerics.ts's: scale = amax / qmax, round half to even.
 */
export interface QuantizedWeights {
  /** Integer codes in the input's layout. */
  q: Int32Array;
  /** One scale per channel of `axis` (one entry for per-tensor). */
  scales: Float32Array;
}

/** int8 narrow range [-127, 127]; reduceRange uses 7 bits ([-63, 63]) for x86 CPUs without VNNI (see --help). */
export function weightRange(reduceRange = false): QRange {
  return reduceRange ? { qmin: -63, qmax: 63 } : qRange({ dtype: 'int8', narrow: true });
}

/** Quantizes `values` (shape `dims`) per channel along `axis`, or per tensor when axis is undefined. */
export function quantizeWeights(values: Float32Array, dims: readonly number[], options: { axis?: number; range?: QRange } = {}): QuantizedWeights {
  const range = options.range ?? weightRange();
  const { axis } = options;
  if (axis !== undefined && (axis < 0 || axis >= dims.length)) {
    throw new ShrinkmlError('INTERNAL', `quantizeWeights: axis ${axis} out of range for dims [${dims.join(', ')}]`);
  }
  const channels = axis === undefined ? 1 : dims[axis]!;
  const inner = axis === undefined ? values.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const amax = new Float32Array(channels);
  for (let i = 0; i < values.length; i++) amax[channelOf(i)] = Math.max(amax[channelOf(i)]!, Math.abs(values[i]!));
  const params = Array.from(amax, (a) => symmetricParams({ min: -a, max: a, range }));
  const q = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = quantizeValue(values[i]!, params[channelOf(i)]!, range);
  return { q, scales: Float32Array.from(params, (p) => p.scale) };
}

/** Row-major [rows, cols] → [cols, rows]. */
export function transpose2d<T extends Float32Array | Int32Array>(values: T, rows: number, cols: number): T {
  const out = new (values.constructor as new (n: number) => T)(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/**
 * Depthwise Conv filters of fewer than this many values stay float32 in every mode. They cost next to nothing (a few
 * hundred bytes) and hold the most error per byte: PP-OCRv4's recognizer, whose reparameterized 3×3 depthwise stem
 * filters mix one large centre tap with taps 100× smaller, loses output cosine 0.996 → 0.985 from 4 such filters
 * (2.2 KB) in int8 (bench/results/real-onnx.md).
 */
export const DEPTHWISE_FLOAT_BELOW = 1024;

/** Why `weight` stays float32 when `reader` reads it, or undefined. */
export function keepFloat(reader: NodeProto, weight: string, dims: readonly number[]): string | undefined {
  if (reader.opType !== 'Conv' || reader.input?.[1] !== weight || getInt(reader, 'group', 1) <= 1 || dims[1] !== 1) return undefined;
  const n = dims.reduce((a, b) => a * b, 1);
  return n < DEPTHWISE_FLOAT_BELOW ? `depthwise filter of ${n} values (< ${DEPTHWISE_FLOAT_BELOW}) kept float32` : undefined;
}
