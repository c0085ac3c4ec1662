import * as tf from '@tensorflow/tfjs';
import { conv2dInt8, matMulInt8 } from '../../kernels/index.js';
import { quantizeInt8, QuantizeInt8 } from '../../kernels/quantize-int8/index.js';
import { affineParams, type QParams } from '../core/numerics.js';
import { isGpuBackend } from '../core/read.js';
import { inputCodesTf, weightCodesTf } from './emulate.js';
import { exactAccumulate, rescaleAccumulator } from './exact-int8.js';
import { ensureKernel, int8KernelReady } from './execution.js';
import type { InputQuant } from './format.js';
import { ACTIVATION_RANGE, dynamicParams, quantizePack } from './quantize-input.js';

/** The int8 weights of one layer: packed rows [N, ceil(K/4)], one per output channel, and their scales. */
export interface Int8Weights {
  packed: tf.Tensor2D;
  k: number;
  scale: tf.Tensor1D;
  zeroPoint?: tf.Tensor1D;
  bias?: tf.Tensor1D;
}

/**
 * Quantizes float activations to packed int8 rows (docs/numerics.md). Where the backend has a QuantizeInt8 kernel
 * (cpu, webgpu, tensorflow) it runs there and static mode reads nothing back; on wasm, which has none, the values
 * are quantized in JS, in one pass with the batch range of dynamic mode. Both are exact to the spec.
 */
function packActivations(x: tf.Tensor, rowLength: number, quant: InputQuant | null | undefined): { packed: tf.Tensor; params: QParams } {
  if (ensureKernel(QuantizeInt8)) {
    const params = quant ?? deviceDynamicParams(x);
    if (params) {
      const { qmin, qmax } = ACTIVATION_RANGE;
      return { packed: quantizeInt8({ x, scale: params.scale, zeroPoint: params.zeroPoint, qmin, qmax }), params };
    }
  }
  const values = x.dataSync() as Float32Array;
  const params = quant ?? dynamicParams(values);
  const shape = [...x.shape.slice(0, -1), Math.ceil(rowLength / 4)];
  return { packed: tf.tensor(quantizePack(values, params, rowLength), shape, 'int32'), params };
}

/** Dynamic parameters from the batch min/max read back as two numbers; null when they are not finite. */
function deviceDynamicParams(x: tf.Tensor): QParams | null {
  const [min, max] = tf.tidy(() => tf.stack([tf.min(x), tf.max(x)]).dataSync());
  if (!Number.isFinite(min) || !Number.isFinite(max)) return null; // the JS path skips non-finite values
  return affineParams({ min: min!, max: max!, range: ACTIVATION_RANGE });
}

/**
 * GPU backends cannot read a tensor back synchronously (Node's Dawn refuses, browsers stall), and dynamic mode
 * needs the batch range as a number for the kernels' attrs: there it runs emulated, with the range on the device.
 */
function canRunOnKernels(kernel: 'MatMulInt8' | 'Conv2DInt8', quant: InputQuant | null | undefined): boolean {
  if (!quant && isGpuBackend()) return false;
  return int8KernelReady(kernel);
}

/** y [M, N] = int8(x [M, K]) · int8(w)ᵀ, rescaled per channel, plus bias. */
export function denseInt8(x: tf.Tensor2D, w: Int8Weights, quant: InputQuant | null | undefined): tf.Tensor2D {
  return tf.tidy(() => {
    if (canRunOnKernels('MatMulInt8', quant)) {
      const { packed, params } = packActivations(x, w.k, quant);
      return matMulInt8({
        a: packed as tf.Tensor2D, w: w.packed, wScale: w.scale, wZeroPoint: w.zeroPoint, bias: w.bias,
        k: w.k, aScale: params.scale, aZeroPoint: params.zeroPoint,
      });
    }
    const c = inputCodesTf(x, quant);
    const { codes, l1 } = weightCodesTf(w);
    const acc = exactAccumulate(c.codes, { maxCode: c.maxCode, filterL1: l1, accOf: (a) => tf.matMul(a as tf.Tensor2D, codes, false, true) });
    return rescaleAccumulator(acc, { aScale: c.scale, wScale: w.scale, bias: w.bias }) as tf.Tensor2D;
  });
}

export interface ConvInt8Geometry {
  filterShape: [number, number, number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
}

/** NHWC conv of int8(x) with int8 filters (symmetric, per output channel), rescaled, plus bias. */
export function conv2dInt8Op(x: tf.Tensor4D, w: Int8Weights, g: ConvInt8Geometry, quant: InputQuant | null | undefined): tf.Tensor4D {
  return tf.tidy(() => {
    if (canRunOnKernels('Conv2DInt8', quant)) {
      const { packed, params } = packActivations(x, g.filterShape[2], quant);
      return conv2dInt8({
        x: packed as tf.Tensor4D, w: w.packed, wScale: w.scale, bias: w.bias, filterShape: g.filterShape,
        strides: g.strides, pad: g.padding, aScale: params.scale, aZeroPoint: params.zeroPoint,
      });
    }
    const [fh, fw, ci, co] = g.filterShape;
    const c = inputCodesTf(x, quant);
    const { codes, l1 } = weightCodesTf(w);
    const filter = tf.reshape(tf.transpose(codes), [fh, fw, ci, co]) as tf.Tensor4D;
    const acc = exactAccumulate(c.codes, { maxCode: c.maxCode, filterL1: l1, accOf: (a) => tf.conv2d(a as tf.Tensor4D, filter, g.strides, g.padding) });
    return rescaleAccumulator(acc, { aScale: c.scale, wScale: w.scale, bias: w.bias }) as tf.Tensor4D;
  });
}
