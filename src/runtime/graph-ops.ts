import * as tf from '@tensorflow/tfjs';
import {
  depthwiseConv2dInt8, fusedConv2dInt8, fusedMatMulInt8, type EpilogueActivation, type Int8Epilogue,
} from '../../kernels/fused-int8/index.js';
import { quantizeInt8 } from '../../kernels/quantize-int8/index.js';
import { ShrinkmlError } from '../core/errors.js';
import { packInt8 } from '../core/numerics.js';
import { fusedInt8Available } from './fused.js';
import { GRAPH_INT8_OPS, type GraphInt8Attrs, type GraphInt8OpKind } from './graph-format.js';
import { ACTIVATION_RANGE } from './quantize-input.js';

/**
 * The custom ops of static int8 GraphModels (names and attrs: ./graph-format.ts), registered with tf.registerOp by
 * `import 'shrinkml/runtime'`. On wasm and cpu they run the fused int8 kernels (kernels/fused-int8) with int8
 * activations flowing between them as packed codes; on other backends a composite of tfjs ops computes the same
 * quantization in float (codes × scales as the filter, activations rounded to their int8 grid): close, not bit-exact.
 * Each op reads its input's form (int32 = packed codes, float32 = values) so a graph never mixes the two.
 */

/** Compute-op attrs, plus the quantize op's scale / zero_point. */
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

/** Codes on the grid (scale, zeroPoint), dequantized: what the int8 kernels see, in float. */
function fakeQuant(x: tf.Tensor, scale: number, zeroPoint: number): tf.Tensor {
  return tf.tidy(() => {
    const q = tf.clipByValue(tf.add(tf.round(tf.div(x, scale)), zeroPoint), ACTIVATION_RANGE.qmin, ACTIVATION_RANGE.qmax);
    return tf.mul(tf.sub(q, zeroPoint), scale);
  });
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

/** codes × scales in the stored layout: the composite path's float filter. */
function floatFilter(kind: GraphInt8OpKind, codes: tf.Tensor, scales: tf.Tensor, transposeB: boolean): tf.Tensor {
  return cached(floatFilters, codes, () => {
    const s = kind === 'depthwise' ? tf.reshape(scales, codes.shape.slice(2))
      : kind === 'matmul' && transposeB ? tf.reshape(scales, [-1, 1]) : scales;
    return tf.mul(codes, s);
  });
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
    // Composite: the input is already on its int8 grid (values); the filter is codes × scales.
    return tf.tidy(() => {
      const filter = floatFilter(kind, codes, scales, transposeB);
      let y: tf.Tensor;
      if (kind === 'matmul') y = tf.matMul(x as tf.Tensor2D, filter as tf.Tensor2D, false, transposeB);
      else {
        const g = geometry(a);
        y = kind === 'conv' ? tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, g.strides, g.pad)
          : tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, g.strides, g.pad);
      }
      if (bias) y = tf.add(y, bias);
      if (e.activation === 'relu') y = tf.relu(y);
      else if (e.activation === 'relu6') y = tf.clipByValue(y, 0, 6);
      return e.outScale !== undefined ? fakeQuant(y, e.outScale, e.outZeroPoint ?? 0) : y;
    });
  };
}

let registered = false;

/** Registers the int8 graph ops with tfjs-converter (idempotent); tf.loadGraphModel needs them before loading. */
export function registerGraphInt8Ops(): void {
  if (registered) return;
  registered = true;
  tf.registerOp(GRAPH_INT8_OPS.quantize, quantizeOp);
  tf.registerOp(GRAPH_INT8_OPS.conv, computeOp('conv'));
  tf.registerOp(GRAPH_INT8_OPS.depthwise, computeOp('depthwise'));
  tf.registerOp(GRAPH_INT8_OPS.matmul, computeOp('matmul'));
}
