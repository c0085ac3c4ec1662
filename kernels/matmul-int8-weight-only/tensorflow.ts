import * as tf from '@tensorflow/tfjs';
import { compositeKernel } from '../tensorflow/composite.js';
import { unpackBytes } from '../tensorflow/int8-ops.js';

/** Weight-only int8 from tf ops: unpack to float32 and tf.matMul (no memory saving; correctness on tfjs-node). */
export function matMulInt8WeightOnlyComposite(inputs: Record<string, tf.Tensor>): tf.Tensor {
  const { x, w, wScale, bias } = inputs as Record<string, tf.Tensor | undefined>;
  return tf.tidy(() => {
    const k = x!.shape[1]!, n = w!.shape[0]!;
    const wf = tf.cast(tf.slice(unpackBytes(w!), [0, 0], [n, k]), 'float32') as tf.Tensor2D;
    const y = tf.mul(tf.matMul(x as tf.Tensor2D, wf, false, true), wScale!);
    return tf.add(y, bias ?? tf.scalar(0));
  });
}

export const matMulInt8WeightOnlyTensorflow = compositeKernel('MatMulInt8WeightOnly', matMulInt8WeightOnlyComposite);
