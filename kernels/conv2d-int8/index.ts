import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';
import type { ConvGeometryOptions } from '../conv-geometry.js';

export const Conv2DInt8 = 'Conv2DInt8';

/** Attrs of the Conv2DInt8 kernel; inputs are x, w, wScale and optionally bias. */
export interface Conv2DInt8Attrs {
  /** The unpacked filter shape `[FH, FW, Ci, Co]` (packing hides Ci and K). */
  filterShape: [number, number, number, number];
  strides: number | [number, number];
  pad: ConvGeometryOptions['pad'];
  aScale: number;
  aZeroPoint: number;
}

export interface Conv2DInt8Options extends Conv2DInt8Attrs {
  /** int32 [B, H, W, ceil(Ci/4)]: packed int8 NHWC activations (each pixel's channels padded separately). */
  x: tf.Tensor4D;
  /** int32 [Co, ceil(FH·FW·Ci/4)]: packed int8 weights, one row per output channel in (fh, fw, ci) order. */
  w: tf.Tensor2D;
  wScale: tf.Tensor1D;
  bias?: tf.Tensor1D;
}

/** float32 NHWC conv of int8 activations and weights (symmetric weights, zero point 0), rescaled per channel. */
export function conv2dInt8(o: Conv2DInt8Options): tf.Tensor4D {
  const [fh, fw, ci, co] = o.filterShape;
  if (o.x.dtype !== 'int32' || o.x.shape[3] !== Math.ceil(ci / 4) || o.w.shape[0] !== co ||
      o.w.shape[1] !== Math.ceil((fh * fw * ci) / 4)) {
    throw new ShrinkmlError('BAD_INPUT', `kernels/conv2d-int8: x or w is not packed for filterShape [${o.filterShape.join(', ')}]`);
  }
  const inputs: tf.NamedTensorMap = { x: o.x, w: o.w, wScale: o.wScale };
  if (o.bias) inputs.bias = o.bias;
  const attrs: Conv2DInt8Attrs = {
    filterShape: o.filterShape, strides: o.strides, pad: o.pad, aScale: o.aScale, aZeroPoint: o.aZeroPoint,
  };
  return tf.engine().runKernel(Conv2DInt8, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

export { conv2dInt8Cpu, conv2dInt8Wasm } from './kernels.js';
export { conv2dInt8Ref } from './reference.js';
