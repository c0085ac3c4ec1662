import { ShrinkmlError } from '../core/errors.js';
import type { ModelProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { forEachTensor } from '../formats/onnx/walk.js';
import { getInt } from './attrs.js';
import { graphEditors } from './graph.js';
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
 * Depthwise Conv filters of fewer than this many values stay float32 in the 8/4-bit modes, when all of them together
 * are at most DEPTHWISE_FLOAT_SHARE of the model's float values: next to nothing in bytes, and they hold the most
 * error per byte. PP-OCRv4's recognizer, whose reparameterized 3×3 depthwise stem filters mix one large centre tap
 * with taps 100× smaller, loses output cosine 0.996 → 0.985 from 4 such filters (2.2 KB, 0.03%) in int8; in
 * PP-OCR's small direction classifier they are a large share and stay quantized (bench/results/real-onnx.md).
 */
export const DEPTHWISE_FLOAT_BELOW = 1024;
export const DEPTHWISE_FLOAT_SHARE = 0.01;

/** Weight name → why it stays float32 (the small depthwise filters above, tensors holding ±Infinity), over every graph of the model. */
export function floatKept(model: ModelProto): Map<string, string> {
  const kept = new Map<string, string>();
  let total = 0;
  let small = 0;
  // One walk over the stored tensors: the float count the depthwise share is of, and the tensors holding ±Infinity
  // (a mask or bound; the loader refuses NaN), which have no code on any grid.
  const infinite: string[] = [];
  forEachTensor(model.graph!, ({ tensor, kind, node }) => {
    if (tensor.dataType !== DataType.FLOAT) return;
    total += tensorDims(tensor).reduce((a, b) => a * b, 1);
    const name = kind === 'constant' ? node?.output?.[0] : kind === 'initializer' ? tensor.name : undefined;
    if (name && tensorToFloat32(tensor).some((v) => !Number.isFinite(v))) infinite.push(name);
  });
  for (const g of graphEditors(model)) {
    for (const n of g.graph.node!) {
      if (n.opType !== 'Conv' || getInt(n, 'group', 1) <= 1) continue;
      const w = g.weight(n.input?.[1] ?? '');
      const dims = w ? tensorDims(w.tensor) : [];
      const count = dims.reduce((a, b) => a * b, 1);
      if (!w || dims[1] !== 1 || count >= DEPTHWISE_FLOAT_BELOW || kept.has(w.name)) continue;
      kept.set(w.name, `depthwise filter of ${count} values (< ${DEPTHWISE_FLOAT_BELOW}) kept float32`);
      small += count;
    }
  }
  if (small > DEPTHWISE_FLOAT_SHARE * total) kept.clear();
  for (const name of infinite) kept.set(name, 'holds ±Infinity: kept float32');
  return kept;
}
