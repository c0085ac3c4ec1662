import * as tf from '@tensorflow/tfjs';
import {
  addInt8, avgPoolInt8, depthwiseConv2dInt8, fusedConv2dInt8, fusedMatMulInt8, maxPoolInt8, type EpilogueActivation, type Int8Epilogue,
  type PoolInt8Attrs,
} from '../../kernels/fused-int8/index.js';
import { dequantizeInt8 } from '../../kernels/dequantize-int8/index.js';
import { quantizeInt8 } from '../../kernels/quantize-int8/index.js';
import { ShrinkmlError } from '../core/errors.js';
import { packInt8 } from '../core/numerics.js';
import { activationCodes, exactAccumulate, maxActivationCode, rescaleAccumulator } from './exact-int8.js';
import { fusedInt8Available } from './fused.js';
import { GRAPH_INT8_OPS, type GraphInt8Attrs, type GraphInt8OpKind } from './graph-format.js';
import { ACTIVATION_RANGE } from './quantize-input.js';

/**
 * The custom ops of static int8 GraphModels (names and attrs: ./graph-format.ts), registered with tf.registerOp by
 * `import 'shrinkml/runtime'`. On wasm and cpu they run the fused int8 kernels (kernels/fused-int8) with int8
 * activations flowing between them as packed codes; on other backends (webgl, webgpu) a composite of tfjs ops runs
 * the same integer arithmetic in float32 (docs/numerics.md "Requantization"): the input's codes recovered from its
 * grid values, an integer-valued convolution of codes by codes (exact while no partial sum passes 2^24, split in
 * two digits otherwise), then the kernels' rescale, clamp and requantization, op for op. So on backends whose
 * float32 is IEEE (cpu, SwiftShader WebGL) it equals the fused path bit for bit; WGSL's and GLSL's division may
 * move a tie by one step. Each op reads its input's form (int32 = packed codes, float32 = values) so a graph never
 * mixes the two.
 */

/** Compute-op and add attrs, plus the quantize op's scale / zero_point. */
type Attrs = Partial<GraphInt8Attrs & { scale: number; zero_point: number }>;

function attrsOf(node: tf.GraphNode): Attrs {
  return node.attrs as unknown as Attrs;
}

function bad(message: string): never {
  throw new ShrinkmlError('BAD_INPUT', `shrinkml/runtime: ${message}`);
}

const ACTIVATIONS: readonly string[] = ['linear', 'relu', 'relu6'];

function activationOf(a: Attrs): EpilogueActivation {
  const act = String(a.activation ?? 'linear').toLowerCase();
  if (!ACTIVATIONS.includes(act)) bad(`int8 graph op: activation '${act}' is not linear, relu or relu6`);
  return act as EpilogueActivation;
}

function numberAttr(a: Attrs, key: keyof Attrs, required: boolean): number | undefined {
  const v = a[key];
  if (v === undefined || v === null) return required ? bad(`int8 graph op: attr '${key}' is missing`) : undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`int8 graph op: attr '${key}' is not a number`);
  return v;
}

/** Output quantization, when the op's consumers take int8. */
function epilogueOf(a: Attrs): Int8Epilogue {
  const outScale = numberAttr(a, 'out_scale', false);
  return { activation: activationOf(a), ...(outScale !== undefined ? { outScale, outZeroPoint: numberAttr(a, 'out_zero_point', false) ?? 0 } : {}) };
}

/**
 * quantizeValue then dequantizeValue (src/core/numerics.ts) in tfjs ops: f32(x / scale) rounded half to even (tf.round
 * on every backend), clamped to the codes' range, NaN → the zero point; the value is f32((q - zeroPoint) · scale).
 */
function fakeQuant(x: tf.Tensor, scale: number, zeroPoint: number): tf.Tensor {
  return tf.tidy(() => tf.mul(activationCodes(x, scale, zeroPoint), scale));
}

// ---- weights: packed once per weight tensor (the graph's Const codes), kept while the model holds its weights ------

interface Derived { source: tf.Tensor; made: tf.Tensor }
const derived: Derived[] = [];
const packedWeights = new WeakMap<tf.Tensor, tf.Tensor>();
const floatFilters = new WeakMap<tf.Tensor, tf.Tensor>();

/**
 * `make()` for the weight tensor `key`, made once and kept (tf.keep: it outlives the executor's tidy). What was made
 * from weights since disposed (a disposed model) is freed at the next miss, so loading and disposing models does not
 * accumulate packed copies.
 */
function cached(map: WeakMap<tf.Tensor, tf.Tensor>, key: tf.Tensor, make: () => tf.Tensor): tf.Tensor {
  const hit = map.get(key);
  if (hit && !hit.isDisposed) return hit;
  for (let i = derived.length - 1; i >= 0; i--) {
    if (derived[i]!.source.isDisposed) { derived[i]!.made.dispose(); derived.splice(i, 1); }
  }
  const made = tf.keep(tf.tidy(make));
  map.set(key, made);
  derived.push({ source: key, made });
  return made;
}

/**
 * The kernels' weight operand from the stored codes (TF layout, values -127..127): conv rows [out, fh·fw·in]
 * (transposed), depthwise rows [fh·fw, in·mult] (as stored), matmul rows [N, K].
 */
function packedCodes(kind: GraphInt8OpKind, codes: tf.Tensor, transposeB: boolean): tf.Tensor2D {
  return cached(packedWeights, codes, () => {
    const values = codes.dataSync();
    const shape = codes.shape;
    const last = shape[shape.length - 1]!;
    const rows = kind === 'depthwise' ? shape[0]! * shape[1]! : kind === 'matmul' && transposeB ? shape[0]! : last;
    const k = values.length / rows;
    let ordered: ArrayLike<number> = values;
    if (kind === 'conv' || (kind === 'matmul' && !transposeB)) {
      // [K, N] → [N, K]
      const t = new Int8Array(values.length);
      for (let i = 0; i < k; i++) for (let n = 0; n < rows; n++) t[n * k + i] = values[i * rows + n]!;
      ordered = t;
    }
    return tf.tensor2d(packInt8(ordered, { rowLength: k }), [rows, Math.ceil(k / 4)], 'int32');
  }) as tf.Tensor2D;
}

/** The codes as a float32 filter in the stored layout: the composite path's integer-valued filter. */
function floatCodes(codes: tf.Tensor): tf.Tensor {
  return cached(floatFilters, codes, () => tf.cast(codes, 'float32'));
}

const filterL1 = new WeakMap<tf.Tensor, number>();

/** max over output channels of Σ|code|: with |a - zA| ≤ m, every partial sum of an accumulator is at most m · this. */
function maxChannelL1(kind: GraphInt8OpKind, codes: tf.Tensor, transposeB: boolean): number {
  let l1 = filterL1.get(codes);
  if (l1 === undefined) {
    const r = codes.rank;
    const axes = kind === 'depthwise' ? [0, 1] : kind === 'matmul' && transposeB ? [1] : [...Array(r - 1).keys()];
    l1 = tf.tidy(() => tf.max(tf.sum(tf.abs(codes), axes)).dataSync()[0]!);
    filterL1.set(codes, l1);
  }
  return l1;
}

// ---- the ops ---------------------------------------------------------------------------------------------------

function quantizeOp(node: tf.GraphNode): tf.Tensor {
  const a = attrsOf(node);
  const scale = numberAttr(a, 'scale', true)!;
  const zeroPoint = numberAttr(a, 'zero_point', false) ?? 0;
  const x = node.inputs[0]!;
  if (x.dtype !== 'float32') bad(`${GRAPH_INT8_OPS.quantize}: input is ${x.dtype}, not float32`);
  if (!fusedInt8Available()) return fakeQuant(x, scale, zeroPoint);
  return quantizeInt8({ x, scale, zeroPoint, qmin: ACTIVATION_RANGE.qmin, qmax: ACTIVATION_RANGE.qmax });
}

function geometry(a: Attrs): { strides: [number, number]; pad: 'same' | 'valid' } {
  const s = (a.strides ?? [1, 1, 1, 1]) as number[];
  const pad = String(a.padding ?? 'valid').toLowerCase();
  if (s.length !== 4 || s[0] !== 1 || s[3] !== 1) bad(`int8 graph op: strides [${s}] are not NHWC [1, sh, sw, 1]`);
  if (pad !== 'same' && pad !== 'valid') bad(`int8 graph op: padding '${pad}' is not SAME or VALID`);
  return { strides: [s[1]!, s[2]!], pad };
}

function computeOp(kind: GraphInt8OpKind) {
  return (node: tf.GraphNode): tf.Tensor => {
    const a = attrsOf(node);
    const [x, codes, scales, bias] = node.inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const aScale = numberAttr(a, 'a_scale', true)!;
    const aZeroPoint = numberAttr(a, 'a_zero_point', false) ?? 0;
    const transposeB = Boolean(a.transpose_b);
    const e = epilogueOf(a);
    const wScale = scales as tf.Tensor1D;
    if (x.dtype === 'int32') {
      const w = packedCodes(kind, codes, transposeB);
      const b = bias as tf.Tensor1D | undefined;
      if (kind === 'matmul') {
        return fusedMatMulInt8({ a: x as tf.Tensor2D, w, wScale, bias: b, k: transposeB ? codes.shape[1]! : codes.shape[0]!, aScale, aZeroPoint, ...e });
      }
      const filterShape = codes.shape as [number, number, number, number];
      const o = { x: x as tf.Tensor4D, w, wScale, bias: b, filterShape, ...geometry(a), aScale, aZeroPoint, ...e };
      return kind === 'conv' ? fusedConv2dInt8(o) : depthwiseConv2dInt8(o);
    }
    return tf.tidy(() => composite(kind, { x, codes, scales, bias, aScale, aZeroPoint, transposeB, a, e }));
  };
}

/**
 * The fused kernels' arithmetic in float32 tfjs ops (./exact-int8.ts). The input holds values f32((q - zA) · sA) of
 * its grid, so round(x / sA) gives q - zA back exactly (|q - zA| ≤ 255: the quotient is off by far less than 0.5);
 * the accumulator Σ (q - zA) · w is an exact convolution of integers, then the kernels' rescale, clamp, requantize.
 */
function composite(kind: GraphInt8OpKind, o: {
  x: tf.Tensor; codes: tf.Tensor; scales: tf.Tensor; bias?: tf.Tensor; aScale: number; aZeroPoint: number;
  transposeB: boolean; a: Attrs; e: Int8Epilogue;
}): tf.Tensor {
  const filter = floatCodes(o.codes);
  const accOf = (c: tf.Tensor): tf.Tensor => {
    if (kind === 'matmul') return tf.matMul(c as tf.Tensor2D, filter as tf.Tensor2D, false, o.transposeB);
    const g = geometry(o.a);
    return kind === 'conv' ? tf.conv2d(c as tf.Tensor4D, filter as tf.Tensor4D, g.strides, g.pad)
      : tf.depthwiseConv2d(c as tf.Tensor4D, filter as tf.Tensor4D, g.strides, g.pad);
  };
  const acc = exactAccumulate(tf.round(tf.div(o.x, o.aScale)), {
    maxCode: maxActivationCode(o.aZeroPoint), filterL1: maxChannelL1(kind, o.codes, o.transposeB), accOf,
  });
  // Output channels are the last axis for every kind.
  let y = rescaleAccumulator(acc, { aScale: o.aScale, wScale: o.scales, bias: o.bias });
  if (o.e.activation === 'relu') y = tf.relu(y);
  else if (o.e.activation === 'relu6') y = tf.clipByValue(y, 0, 6);
  return o.e.outScale !== undefined ? fakeQuant(y, o.e.outScale, o.e.outZeroPoint ?? 0) : y;
}

/**
 * The int8 Add: AddInt8 on codes of one shape; codes of two shapes (a broadcast) go through float and come back;
 * the composite path adds the values (already on their grids) and rounds the sum onto its grid.
 */
function addOp(node: tf.GraphNode): tf.Tensor {
  const a = attrsOf(node);
  const [x, y] = node.inputs as [tf.Tensor, tf.Tensor];
  const channels = numberAttr(a, 'channels', true)!;
  const q = { aScale: numberAttr(a, 'a_scale', true)!, aZeroPoint: numberAttr(a, 'a_zero_point', false) ?? 0,
    bScale: numberAttr(a, 'b_scale', true)!, bZeroPoint: numberAttr(a, 'b_zero_point', false) ?? 0 };
  const e = epilogueOf(a);
  if (x.dtype !== y.dtype) bad(`${GRAPH_INT8_OPS.add}: inputs are ${x.dtype} and ${y.dtype}, not both codes or both values`);
  if (x.dtype === 'int32' && tf.util.arraysEqual(x.shape, y.shape)) return addInt8({ a: x, b: y, channels, ...q, ...e });
  return tf.tidy(() => {
    const [u, v] = x.dtype === 'int32'
      ? [dequantizeInt8({ q: x, k: channels, scale: q.aScale, zeroPoint: q.aZeroPoint }), dequantizeInt8({ q: y, k: channels, scale: q.bScale, zeroPoint: q.bZeroPoint })]
      : [x, y];
    let sum = tf.add(u, v);
    if (e.activation === 'relu') sum = tf.relu(sum);
    else if (e.activation === 'relu6') sum = tf.clipByValue(sum, 0, 6);
    if (e.outScale === undefined) return sum;
    return x.dtype === 'int32'
      ? quantizeInt8({ x: sum, scale: e.outScale, zeroPoint: e.outZeroPoint ?? 0, qmin: ACTIVATION_RANGE.qmin, qmax: ACTIVATION_RANGE.qmax })
      : fakeQuant(sum, e.outScale, e.outZeroPoint ?? 0);
  });
}

/**
 * The int8 pool: MaxPoolInt8 / AvgPoolInt8 on codes, the output on the input's grid. The composite path recovers the
 * codes from the grid values, pools them as the kernels do (the mean of the in-image taps' codes rounded half to
 * even: tf.round) and gives the pooled codes' values; the max needs no codes (quantization is monotonic).
 */
function poolOp(node: tf.GraphNode): tf.Tensor {
  const a = attrsOf(node);
  const x = node.inputs[0] as tf.Tensor4D;
  const pooling = String(a.pooling ?? '').toLowerCase();
  if (pooling !== 'avg' && pooling !== 'max') bad(`${GRAPH_INT8_OPS.pool}: pooling '${pooling}' is not avg or max`);
  const k = (a.ksize ?? []) as number[];
  if (k.length !== 4 || k[0] !== 1 || k[3] !== 1) bad(`${GRAPH_INT8_OPS.pool}: ksize [${k}] is not NHWC [1, h, w, 1]`);
  const g = geometry(a);
  const p: PoolInt8Attrs = { filterSize: [k[1]!, k[2]!], strides: g.strides, pad: g.pad };
  if (x.dtype === 'int32') return (pooling === 'max' ? maxPoolInt8 : avgPoolInt8)(x, p);
  if (pooling === 'max') return tf.maxPool(x, p.filterSize, p.strides, p.pad);
  const aScale = numberAttr(a, 'a_scale', true)!;
  const aZeroPoint = numberAttr(a, 'a_zero_point', false) ?? 0;
  return tf.tidy(() => {
    const codes = tf.add(tf.round(tf.div(x, aScale)), aZeroPoint) as tf.Tensor4D;
    return tf.mul(tf.sub(tf.round(tf.avgPool(codes, p.filterSize, p.strides, p.pad)), aZeroPoint), aScale);
  });
}

/** Each int8 graph op's executor by its GRAPH_INT8_OPS key: what registerGraphInt8Ops registers (tests call them). */
export const GRAPH_INT8_EXECUTORS: Record<keyof typeof GRAPH_INT8_OPS, (node: tf.GraphNode) => tf.Tensor> = {
  quantize: quantizeOp, conv: computeOp('conv'), depthwise: computeOp('depthwise'), matmul: computeOp('matmul'), add: addOp,
  pool: poolOp,
};

let registered = false;

/** Registers the int8 graph ops with tfjs-converter (idempotent); tf.loadGraphModel needs them before loading. */
export function registerGraphInt8Ops(): void {
  if (registered) return;
  registered = true;
  for (const [key, op] of Object.entries(GRAPH_INT8_EXECUTORS)) tf.registerOp(GRAPH_INT8_OPS[key as keyof typeof GRAPH_INT8_OPS], op);
}
