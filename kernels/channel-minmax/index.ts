import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../src/core/errors.js';

export const ChannelMinMax = 'ChannelMinMax';

export interface ChannelMinMaxOptions {
  x: tf.Tensor;
  /** One range for the whole tensor instead of one per channel of the last axis. */
  perTensor?: boolean;
}

/**
 * float32 [3, C]: per channel of x's last axis (the output channel in tfjs layouts, docs/numerics.md), the rows
 * min, max and max |x|, for choosing quantization parameters. NaN is ignored; an empty or all-NaN channel gives
 * (+Infinity, -Infinity, 0); -0 is reported as 0.
 */
export function channelMinMax(o: ChannelMinMaxOptions): tf.Tensor2D {
  if (o.x.rank < 1 || o.x.dtype !== 'float32') {
    throw new ShrinkmlError('BAD_INPUT', `kernels/channel-minmax: x must be a float32 tensor of rank >= 1, got ${o.x.dtype} rank ${o.x.rank}`);
  }
  return tf.tidy(() => {
    const x = o.perTensor ? tf.reshape(o.x, [-1, 1]) : o.x;
    return tf.engine().runKernel(ChannelMinMax, { x }, {}) as tf.Tensor2D;
  });
}

export { channelMinMaxCpu, channelMinMaxWasm } from './cpu.js';
export { channelMinMaxWebgpu } from './webgpu.js';
export { channelMinMaxTensorflow, channelMinMaxComposite } from './tensorflow.js';
export { channelMinMaxRef } from './reference.js';
