import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';
import type { Conv2DInt8Attrs } from '../conv2d-int8/index.js';
import type { MatMulInt8Attrs } from '../matmul-int8/index.js';

/**
 * The fused int8 path (docs/numerics.md "Requantization"): int8 activations flow from layer to layer, each GEMM's
 * epilogue rescales, adds the bias, clamps (ReLU / ReLU6) and requantizes to the next layer's grid, so nothing is
 * dequantized between layers. Packed int8 tensors are int32 words of four codes (docs/numerics.md "Packing").
 * Kernels: cpu (the references) and wasm (kernels/wasm/assembly/int8*.ts).
 */
export const FusedMatMulInt8 = 'FusedMatMulInt8';
export const FusedConv2DInt8 = 'FusedConv2DInt8';
export const DepthwiseConv2DInt8 = 'DepthwiseConv2DInt8';
export const MaxPoolInt8 = 'MaxPoolInt8';
export const AvgPoolInt8 = 'AvgPoolInt8';
export const AddInt8 = 'AddInt8';

/** The activations an epilogue can clamp to; any other runs as a float op after a float output. */
export type EpilogueActivation = 'linear' | 'relu' | 'relu6';

/** What happens to y = f32(acc) · f32(sA · sW[n]) + bias[n]. */
export interface Int8Epilogue {
  activation?: EpilogueActivation;
  /** Requantize the output to int8 with these parameters (packed int32 output); absent: float32 output. */
  outScale?: number;
  outZeroPoint?: number;
}

export const EPILOGUE_ACTIVATIONS: readonly string[] = ['linear', 'relu', 'relu6'];

/** The clamp [lo, hi] of an epilogue activation. */
export function clampOf(activation: EpilogueActivation | undefined): [number, number] {
  switch (activation ?? 'linear') {
    case 'relu': return [0, Infinity];
    case 'relu6': return [0, 6];
    case 'linear': return [-Infinity, Infinity];
    default: throw new ShrinkmlError('UNSUPPORTED', `kernels/fused-int8: activation '${activation}' cannot be fused`);
  }
}

function epilogueAttrs(e: Int8Epilogue): Int8Epilogue {
  if (e.outScale !== undefined && !(e.outScale > 0 && Number.isInteger(e.outZeroPoint ?? 0))) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/fused-int8: output scale ${e.outScale} / zero point ${e.outZeroPoint} is not a quantization`);
  }
  clampOf(e.activation);
  return { activation: e.activation ?? 'linear', ...(e.outScale !== undefined ? { outScale: e.outScale, outZeroPoint: e.outZeroPoint ?? 0 } : {}) };
}

const packed = (n: number) => Math.ceil(n / 4);

/** Attributes of FusedMatMulInt8: MatMulInt8's (k, input scale and zero point) plus the epilogue (activation, optional output requantization). */
export type FusedMatMulInt8Attrs = MatMulInt8Attrs & Int8Epilogue;

/** MatMulInt8 (a [M, ceil(k/4)] · w [N, ceil(k/4)]ᵀ) with the epilogue: float32 [M, N] or packed int8 [M, ceil(N/4)]. */
export function fusedMatMulInt8(o: { a: tf.Tensor2D; w: tf.Tensor2D; wScale: tf.Tensor1D; bias?: tf.Tensor1D;
  wZeroPoint?: tf.Tensor1D } & FusedMatMulInt8Attrs): tf.Tensor2D {
  if (o.a.dtype !== 'int32' || o.a.shape[1] !== packed(o.k) || o.w.shape[1] !== packed(o.k)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/fused-int8: a or w is not packed for k=${o.k}`);
  }
  const inputs: tf.NamedTensorMap = { a: o.a, w: o.w, wScale: o.wScale };
  if (o.bias) inputs.bias = o.bias;
  if (o.wZeroPoint) inputs.wZeroPoint = o.wZeroPoint;
  const attrs = { k: o.k, aScale: o.aScale, aZeroPoint: o.aZeroPoint, ...epilogueAttrs(o) };
  return tf.engine().runKernel(FusedMatMulInt8, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** Attributes of FusedConv2DInt8: Conv2DInt8's (filter shape, strides, padding, input quantization) plus the epilogue. */
export type FusedConv2DInt8Attrs = Conv2DInt8Attrs & Int8Epilogue;

/** Conv2DInt8 with the epilogue: float32 [B, OH, OW, Co] or packed int8 [B, OH, OW, ceil(Co/4)]. */
export function fusedConv2dInt8(o: { x: tf.Tensor4D; w: tf.Tensor2D; wScale: tf.Tensor1D; bias?: tf.Tensor1D } &
  FusedConv2DInt8Attrs): tf.Tensor4D {
  const [fh, fw, ci, co] = o.filterShape;
  if (o.x.dtype !== 'int32' || o.x.shape[3] !== packed(ci) || o.w.shape[0] !== co || o.w.shape[1] !== packed(fh * fw * ci)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/fused-int8: x or w is not packed for filterShape [${o.filterShape.join(', ')}]`);
  }
  const inputs: tf.NamedTensorMap = { x: o.x, w: o.w, wScale: o.wScale };
  if (o.bias) inputs.bias = o.bias;
  const attrs = { filterShape: o.filterShape, strides: o.strides, pad: o.pad, aScale: o.aScale, aZeroPoint: o.aZeroPoint,
    ...epilogueAttrs(o) };
  return tf.engine().runKernel(FusedConv2DInt8, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** filterShape is tfjs's depthwise [FH, FW, C, M]; output channel c·M + m. */
export type DepthwiseConv2DInt8Attrs = FusedConv2DInt8Attrs;

/**
 * Depthwise conv of packed int8 NHWC x [B, H, W, ceil(C/4)] with w: int32 [FH·FW, ceil(C·M/4)], tfjs's
 * [FH, FW, C, M] filter packed along its flattened last two axes (symmetric, per output channel scales wScale
 * [C·M]), with the epilogue.
 */
export function depthwiseConv2dInt8(o: { x: tf.Tensor4D; w: tf.Tensor2D; wScale: tf.Tensor1D; bias?: tf.Tensor1D } &
  DepthwiseConv2DInt8Attrs): tf.Tensor4D {
  const [fh, fw, c, m] = o.filterShape;
  if (o.x.dtype !== 'int32' || o.x.shape[3] !== packed(c) || o.w.shape[0] !== fh * fw || o.w.shape[1] !== packed(c * m)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/fused-int8: x or w is not packed for depthwise filterShape [${o.filterShape.join(', ')}]`);
  }
  const inputs: tf.NamedTensorMap = { x: o.x, w: o.w, wScale: o.wScale };
  if (o.bias) inputs.bias = o.bias;
  const attrs = { filterShape: o.filterShape, strides: o.strides, pad: o.pad, aScale: o.aScale, aZeroPoint: o.aZeroPoint,
    ...epilogueAttrs(o) };
  return tf.engine().runKernel(DepthwiseConv2DInt8, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** Attrs of MaxPoolInt8 / AvgPoolInt8; x is packed int8 NHWC, the output is on the same grid. */
export interface PoolInt8Attrs {
  filterSize: [number, number];
  strides: [number, number];
  pad: 'same' | 'valid';
}

/** int8 max pooling (exactly the codes of the float max pool: quantization is monotonic). */
export function maxPoolInt8(x: tf.Tensor4D, a: PoolInt8Attrs): tf.Tensor4D {
  return tf.engine().runKernel(MaxPoolInt8, { x }, a as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** int8 average pooling: nearest(Σq / count) over the in-image taps, same grid in and out. */
export function avgPoolInt8(x: tf.Tensor4D, a: PoolInt8Attrs): tf.Tensor4D {
  return tf.engine().runKernel(AvgPoolInt8, { x }, a as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}


/**
 * Attrs of AddInt8: the true channel count (rows of `channels` codes, packed to ceil(channels/4) words), each
 * input's quantization, and the epilogue's clamp and output quantization (absent: float32 [..., channels] out).
 */
export interface AddInt8Attrs extends Int8Epilogue {
  channels: number;
  aScale: number;
  aZeroPoint: number;
  bScale: number;
  bZeroPoint: number;
}

/**
 * a + b of two packed int8 tensors of one shape, each on its own grid: dequantize both, add in float32, clamp,
 * quantize onto the output grid (docs/numerics.md "Add"), bit for bit, without leaving int8.
 */
export function addInt8(o: { a: tf.Tensor; b: tf.Tensor } & AddInt8Attrs): tf.Tensor {
  const words = packed(o.channels);
  if (o.a.dtype !== 'int32' || o.b.dtype !== 'int32' || o.a.shape[o.a.rank - 1] !== words || !tf.util.arraysEqual(o.a.shape, o.b.shape)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/fused-int8: AddInt8 takes two packed int8 tensors of one shape [..., ${words}] ` +
      `(got ${o.a.dtype} [${o.a.shape}] and ${o.b.dtype} [${o.b.shape}])`);
  }
  if (!(o.aScale > 0 && o.bScale > 0)) throw new ShrinkmlError('BAD_INPUT', `kernels/fused-int8: AddInt8 input scales ${o.aScale}, ${o.bScale} are not > 0`);
  const attrs = { channels: o.channels, aScale: o.aScale, aZeroPoint: o.aZeroPoint, bScale: o.bScale, bZeroPoint: o.bZeroPoint, ...epilogueAttrs(o) };
  return tf.engine().runKernel(AddInt8, { a: o.a, b: o.b }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
