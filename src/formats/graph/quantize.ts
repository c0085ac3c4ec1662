import { ShrinkmlError } from '../../core/errors.js';
import { affineQuantize, fromFloat16, toFloat16 } from '../encode.js';
import { elementCount, type ManifestEntry } from '../manifest.js';
import type { NodeDef, WeightRole } from './roles.js';
import { asStored, float32Bytes, type GraphWeight } from './weights.js';
import { quantizeGroups } from './scales.js';
import { gptqCodes } from './gptq.js';

/**
 * How graph weights are stored (docs/graph-models.md has every byte layout):
 * - float16 / uint8: manifest `quantization` only (uint8 = tensorflowjs_converter's per-tensor affine mode);
 * - int8: kernels as symmetric per-channel codes in a uint8 manifest entry `{scale: 1, min: -128}` (tf.io decodes
 *   them to the integers -127..127), times per-channel scales by an inserted `Mul` node named like the weight,
 *   so every reader is unchanged;
 * - int4: kernels as symmetric codes -7..7 in blocks of 32 along the reduction, one scale per block (`Mul` over a
 *   [pre, blocks, 32, post] view, then `Reshape` back) — or -15..15 / -31..31 (5 / 6 bits, same layout) where the
 *   bit choice widens a kernel; a reduction of at most 32 (depthwise taps, a 1×1 conv
 *   over 24 channels) is one block per channel; one that 32 does not divide takes the largest divisor from 16 to 31
 *   as its block (144 → 24), and failing that falls back to int8 per channel.
 * In int8/int4 modes every other float weight (biases, BatchNorm terms, anchors) is stored as float16 — bit-identical
 * for a model shipped as float16 — or, when its values lie exactly on an affine grid of at most 256 points (index
 * grids such as MoveNet's 48×48 x/y maps, a bias shipped as uint8), as uint8 `{scale, min}`, which tf.io decodes to
 * the same float32 values.
 */
export type GraphWeightMode = 'float32' | 'float16' | 'uint8' | 'int8' | 'int4';
export const GRAPH_WEIGHT_MODES: readonly GraphWeightMode[] = ['float32', 'float16', 'uint8', 'int8', 'int4'];

export const INT4_BLOCK = 32;
/** Smallest block accepted when the reduction is not a multiple of 32 (smaller blocks cost more scales than int8 saves). */
const MIN_BLOCK = 16;

/** 32 when it divides the reduction, else the largest divisor from 16 to 31 (144 = 6 × 24), else null. */
function blockSize(size: number): number | null {
  for (let b = INT4_BLOCK; b >= MIN_BLOCK; b--) if (size % b === 0) return b;
  return null;
}

export interface EncodedPart { entry: ManifestEntry; bytes: Uint8Array }

export interface EncodedGraphWeight {
  name: string;
  /** Bits per stored value of the weight itself (scales not counted; see `scaleCount`): int4's schemes 4, 5, 6 or a grid between (`CodeBits`). */
  bits: number;
  scheme: 'float32' | 'float16' | 'uint8' | 'int8-channel' | 'int4-block' | 'int4-channel' | 'unchanged';
  parts: EncodedPart[];
  /** Nodes that replace the weight's Const node; empty when the node stays as it is. */
  nodes: NodeDef[];
  /** The values the written graph computes with (float weights only). */
  values?: Float32Array;
  scaleCount?: number;
  /** int4 blocks: values per scale along the reduction. */
  blockSize?: number;
  /** Why a kernel did not get the mode's scheme. */
  note?: string;
}

const Q_SUFFIX = '/shrinkml_q';
const SCALE_SUFFIX = '/shrinkml_scale';
const DQ_SUFFIX = '/shrinkml_dq';
const SHAPE_SUFFIX = '/shrinkml_shape';
// '/shrinkml_quantize': static int8's activation quantizers (static-int8.ts); '/shrinkml_bias': bias correction's
// new biases (correction.ts).
export const GENERATED_SUFFIXES = [Q_SUFFIX, SCALE_SUFFIX, DQ_SUFFIX, SHAPE_SUFFIX, '/shrinkml_quantize', '/shrinkml_bias'];

const dims = (shape: number[]) => ({ dim: shape.map((s) => ({ size: String(s) })) });
const constNode = (name: string, shape: number[], dtype: 'DT_FLOAT' | 'DT_INT32', device?: string): NodeDef => ({
  name, op: 'Const', attr: { value: { tensor: { dtype, tensorShape: dims(shape) } }, dtype: { type: dtype } }, ...(device ? { device } : {}),
});

/**
 * `bits` / `perChannel`: int4 mode's width and scale layout (`CodeBits`; default 4-bit blocks).
 * `scaleSearch: false` keeps max-abs scales (static int8, see rewrite.ts); the default searches them (scales.ts).
 * `hessian` (the kernel's E[x xᵀ] from calibration, see correction.ts) rounds int8/int4 kernels by GPTQ (gptq.ts)
 * with the same scales: a channel's H over the reduction, by the channel's [pre, post] index around reduceAxes.
 */
export function encodeGraphWeight(o: { weight: GraphWeight; role: WeightRole; mode: GraphWeightMode; node?: NodeDef; scaleSearch?: boolean; hessian?: Hessian; bits?: CodeBits; perChannel?: boolean }): EncodedGraphWeight {
  const { weight: w, role, mode } = o;
  const bits = o.bits ?? 4;
  const search = o.scaleSearch ?? true;
  const gptq = o.hessian ? { hessian: o.hessian, view: around(w.shape, role.reduceAxes) } : undefined;
  const unchanged = (): EncodedGraphWeight => ({
    name: w.name, bits: storedBits(w), scheme: 'unchanged', parts: [{ entry: { ...w.entry }, bytes: w.raw }], nodes: [],
    values: w.values instanceof Float32Array ? w.values : undefined,
  });
  if (!(w.values instanceof Float32Array) || w.dtype !== 'float32') return unchanged();
  const values = w.values;
  if (mode === 'float32') return plain(w.name, w.shape, values);
  if (!values.every(Number.isFinite)) {
    // ±Infinity (a threshold, a pad value; the loader refuses NaN) has no code on any grid: kept exact.
    const out = plain(w.name, w.shape, values);
    out.note = 'holds ±Infinity: kept float32';
    return out;
  }
  if (mode === 'float16') return half(w.name, w.shape, values);
  if (mode === 'uint8') {
    // Still on the grid it was read with (a written model's int8/int4 codes, a converter's uint8 weight): kept byte
    // for byte. Re-quantized on a new zero-exact grid it moves by up to half a step — codes by half a code.
    if (w.stored === 'uint8' && asStored(w)) return unchanged();
    const { q, scale, min } = affineQuantize(values, 255);
    const decoded = Float32Array.from(q, (c) => c * scale + min);
    return { name: w.name, bits: 8, scheme: 'uint8', parts: [{ entry: { name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: 'uint8', scale, min } }, bytes: new Uint8Array(q.buffer) }], nodes: [], values: decoded };
  }
  const kernel = role.kind !== 'other' && !role.inFunction && elementCount(w.shape) > 1;
  if (!kernel) {
    // A term the model shipped as uint8 keeps its bytes (float16 would widen and round it).
    if (w.stored === 'uint8' && asStored(w)) return unchanged();
    const out = exactUint8(w, values) ?? half(w.name, w.shape, values);
    if (role.kind !== 'other' && role.inFunction) out.note = `inside function '${role.inFunction}': stored float16`;
    return out;
  }
  const device = o.node?.device;
  if (mode === 'int4') {
    const size = reduceSize(w.shape, role);
    if (size <= INT4_BLOCK || o.perChannel || !Number.isInteger(bits)) return perChannel(w, values, role, bits, device, search, gptq);
    const block = blockSize(size);
    if (block) return int4Blocks(w, values, role, block, bits, device, search, gptq);
    const out = perChannel(w, values, role, 8, device, search, gptq);
    out.note = `reduction of ${size} has no block size from ${MIN_BLOCK} to ${INT4_BLOCK}: int8 per channel`;
    return out;
  }
  return perChannel(w, values, role, 8, device, search, gptq);
}

/**
 * Code widths of int4's layout: the bit choice (bits.ts) widens kernels to 5 or 6 bits in the same layout (codes one
 * per byte, same nodes, only the code range grows), because gzip charges a code its entropy, not 8 bits: a 5-bit
 * code costs ≈ ¾ bit more than a 4-bit one after gzip for a quarter of the noise power. `perChannel` (one scale per
 * channel, int8's layout with a narrower range) drops the block scales' ≈ ½ bit per value: 5 bits per channel cost
 * ≈ 0.2 bit per value more than 4-bit blocks of 32 for ⅓ of their error (emotion, faceres).
 *
 * Per channel the width need not be a whole number of bits: `bits` b stands for the symmetric grid ±qmax with
 * qmax = 2^(b−1) − 1 rounded (`qmaxOf`), so b = log2(2·(qmax + 1)): 3.58 = ±5, 4 = ±7, 4.32 = ±9, 4.58 = ±11,
 * 4.81 = ±13, 5 = ±15, 5.32 = ±19, 5.58 = ±23, 6 = ±31, 8 = ±127. Stored in the smallest power-of-two byte range
 * that holds them (`min` −8, −16, −32, −128); what gzip charges is their entropy, so the grid in between is a finer
 * rate step for the bit choice, not a new layout. Blocks take whole bits (4, 5, 6).
 */
export type CodeBits = number;
/** Largest code of a symmetric `bits`-bit grid: 7, 15, 31, 127 (whole bits); 5, 9, 11, 13, 19, 23 in between. */
export const qmaxOf = (bits: number) => Math.round(2 ** (bits - 1)) - 1;
/** Byte offset of a grid's codes (and −`min` of its manifest entry): the power of two above its qmax. */
const codeOffset = (bits: number) => 2 ** Math.ceil(Math.log2(qmaxOf(bits) + 1));

/** A channel's E[x xᵀ] over the reduction, by its index (pre, post) in the [pre, reduction, post] view. */
export type Hessian = (p: number, q: number) => Float64Array;
type Gptq = { hessian: Hessian; view: [number, number, number] };

/** GPTQ's codes for the group scales `s` chose (same scales, same layout), replacing round-to-nearest's. */
function withGptq(s: ReturnType<typeof quantizeGroups>, values: Float32Array, groupOf: (i: number) => number, qmax: number, g: Gptq | undefined) {
  if (!g) return s;
  const [pre, size, post] = g.view;
  const codes = gptqCodes({ values, pre, size, post, qmax, scaleOf: (i) => s.scales[groupOf(i)]!, hessian: g.hessian });
  const decoded = Float32Array.from(codes, (c, i) => Math.fround(c * s.scales[groupOf(i)]!));
  let squaredError = 0;
  for (let i = 0; i < values.length; i++) squaredError += (decoded[i]! - values[i]!) ** 2;
  return { ...s, codes, decoded, squaredError };
}

function plain(name: string, shape: number[], values: Float32Array): EncodedGraphWeight {
  return { name, bits: 32, scheme: 'float32', parts: [{ entry: { name, shape, dtype: 'float32' }, bytes: float32Bytes(values) }], nodes: [], values };
}

function half(name: string, shape: number[], values: Float32Array): EncodedGraphWeight {
  if (!values.every((v) => Math.abs(v) <= 65504)) {
    // Out of float16's range: keep it exact rather than turn it into Infinity.
    const out = plain(name, shape, values);
    out.note = 'values beyond float16 range: kept float32';
    return out;
  }
  const bits = toFloat16(values);
  return {
    name, bits: 16, scheme: 'float16', parts: [{ entry: { name, shape, dtype: 'float32', quantization: { dtype: 'float16' } }, bytes: new Uint8Array(bits.buffer) }],
    nodes: [], values: fromFloat16(bits),
  };
}

/**
 * The weight as a uint8 manifest entry when that is lossless: every value equals q·scale + min as tf.io.decodeWeights
 * computes it (in doubles, stored as float32) for some q in 0..255, on the grid min + multiples of the smallest gap
 * between distinct values; anything else returns undefined.
 */
function exactUint8(w: GraphWeight, values: Float32Array): EncodedGraphWeight | undefined {
  // Stop counting at 257 distinct values: a large float tensor is rejected after a few of them, not after a Set of all.
  const seen = new Set<number>();
  for (const v of values) if (seen.add(v).size > 256) return undefined;
  const distinct = [...seen].sort((a, b) => a - b);
  if (distinct.length === 0) return undefined;
  let gap = Infinity;
  for (let i = 1; i < distinct.length; i++) gap = Math.min(gap, distinct[i]! - distinct[i - 1]!);
  const scale = Number.isFinite(gap) ? gap : 1;
  const min = distinct[0]!;
  const codes = new Uint8Array(values.length);
  const exact = values.every((v, i) => {
    const c = Math.round((v - min) / scale);
    codes[i] = c;
    return c >= 0 && c <= 255 && Object.is(Math.fround(c * scale + min), v);
  });
  if (!exact) return undefined;
  return {
    name: w.name, bits: 8, scheme: 'uint8',
    parts: [{ entry: { name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: 'uint8', scale, min } }, bytes: codes }],
    nodes: [], values,
  };
}

function storedBits(w: GraphWeight): number {
  return ({ float16: 16, uint8: 8, uint16: 16, bool: 8, string: 8 } as Record<string, number>)[w.stored] ?? 32;
}

/** [pre, size, post] around a contiguous run of axes. */
function around(shape: number[], axes: number[]): [number, number, number] {
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (axes.some((a, i) => a !== first + i)) throw new ShrinkmlError('INTERNAL', `axes ${axes} are not contiguous`);
  return [elementCount(shape.slice(0, first)), elementCount(shape.slice(first, last + 1)), elementCount(shape.slice(last + 1))];
}

const reduceSize = (shape: number[], role: WeightRole) => around(shape, role.reduceAxes)[1];
/** [pre, reduction, post]: the view GPTQ and the calibrated error measures work in. */
export const aroundReduction = (shape: number[], reduceAxes: number[]) => around(shape, reduceAxes);

/** Codes as bytes `code + 2^(bits−1)` in a uint8 entry `{scale: 1, min: −2^(bits−1)}`: tf.io decodes the integers. */
function codesPart(name: string, shape: number[], codes: Int8Array, bits: number): EncodedPart {
  const offset = codeOffset(bits);
  return {
    entry: { name, shape, dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: -offset } },
    bytes: Uint8Array.from(codes, (c) => c + offset),
  };
}

function scalesPart(name: string, shape: number[], s: { scales: Float32Array; float16: boolean }): EncodedPart {
  return s.float16
    ? { entry: { name, shape, dtype: 'float32', quantization: { dtype: 'float16' } }, bytes: new Uint8Array(toFloat16(s.scales).buffer) }
    : { entry: { name, shape, dtype: 'float32' }, bytes: float32Bytes(s.scales) };
}

function mulNode(name: string, a: string, b: string, device?: string): NodeDef {
  return { name, op: 'Mul', input: [a, b], attr: { T: { type: 'DT_FLOAT' } }, ...(device ? { device } : {}) };
}

/** One symmetric scale per channel (the role's channel axes); bits 8 (int8) or below (int4's layout: `CodeBits`). */
function perChannel(w: GraphWeight, values: Float32Array, role: WeightRole, bits: CodeBits, device?: string, search = true, gptq?: Gptq): EncodedGraphWeight {
  const [, channels, post] = around(w.shape, role.channelAxes);
  const groupOf = (i: number) => Math.floor(i / post) % channels;
  const qmax = qmaxOf(bits);
  const s = withGptq(quantizeGroups({ values, groupOf, groups: channels, qmax, preserveSums: !gptq, search }), values, groupOf, qmax, gptq);
  const { codes, decoded } = s;
  const scaleShape = w.shape.map((d, axis) => (role.channelAxes.includes(axis) ? d : 1));
  return {
    name: w.name, bits, scheme: bits === 8 ? 'int8-channel' : 'int4-channel', scaleCount: channels,
    parts: [codesPart(w.name + Q_SUFFIX, w.shape, codes, bits), scalesPart(w.name + SCALE_SUFFIX, scaleShape, s)],
    nodes: [
      constNode(w.name + Q_SUFFIX, w.shape, 'DT_FLOAT', device),
      constNode(w.name + SCALE_SUFFIX, scaleShape, 'DT_FLOAT', device),
      mulNode(w.name, w.name + Q_SUFFIX, w.name + SCALE_SUFFIX, device),
    ],
    values: decoded,
  };
}

/** Blocks of `block` consecutive values along the reduction (block divides it), one scale each. */
function int4Blocks(w: GraphWeight, values: Float32Array, role: WeightRole, block: number, bits: CodeBits, device?: string, search = true, gptq?: Gptq): EncodedGraphWeight {
  const [pre, size, post] = around(w.shape, role.reduceAxes);
  const blocks = size / block;
  // Element (p, r, q) of the [pre, size, post] view is at (p·size + r)·post + q; its block b = r / 32.
  const scaleIndex = (i: number) => {
    const q = i % post;
    const r = Math.floor(i / post) % size;
    const p = Math.floor(i / (post * size));
    return (p * blocks + Math.floor(r / block)) * post + q;
  };
  const groups = pre * blocks * post;
  const qmax = qmaxOf(bits);
  const s = withGptq(quantizeGroups({ values, groupOf: scaleIndex, groups, qmax, preserveSums: !gptq, search }), values, scaleIndex, qmax, gptq);
  const { codes, decoded } = s;
  const view = [pre, blocks, block, post];
  const scaleShape = [pre, blocks, 1, post];
  const shapeBytes = new Uint8Array(Int32Array.from(w.shape).buffer);
  return {
    name: w.name, bits, scheme: 'int4-block', scaleCount: groups, blockSize: block,
    parts: [
      codesPart(w.name + Q_SUFFIX, view, codes, bits),
      scalesPart(w.name + SCALE_SUFFIX, scaleShape, s),
      { entry: { name: w.name + SHAPE_SUFFIX, shape: [w.shape.length], dtype: 'int32' }, bytes: shapeBytes },
    ],
    nodes: [
      constNode(w.name + Q_SUFFIX, view, 'DT_FLOAT', device),
      constNode(w.name + SCALE_SUFFIX, scaleShape, 'DT_FLOAT', device),
      constNode(w.name + SHAPE_SUFFIX, [w.shape.length], 'DT_INT32', device),
      mulNode(w.name + DQ_SUFFIX, w.name + Q_SUFFIX, w.name + SCALE_SUFFIX, device),
      { name: w.name, op: 'Reshape', input: [w.name + DQ_SUFFIX, w.name + SHAPE_SUFFIX], attr: { T: { type: 'DT_FLOAT' }, Tshape: { type: 'DT_INT32' } }, ...(device ? { device } : {}) },
    ],
    values: decoded,
  };
}

/**
 * The packed-nibble alternative to int4's one code per byte: two codes per byte, low nibble first, each stored as
 * code + 8. Not written by the stock-loadable format; the bench measures it (raw and gzip) beside it.
 */
export function packNibbles(codeBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(codeBytes.length / 2));
  for (let i = 0; i < codeBytes.length; i++) out[i >> 1]! |= (codeBytes[i]! & 0xf) << ((i & 1) * 4);
  return out;
}
