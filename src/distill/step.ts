import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { distillationLossParts } from './loss.js';

/** A backend without a gradient kernel (wasm cannot train convolutions) as a BACKEND error naming it. */
export function missingKernel(e: unknown, student: tf.LayersModel): ShrinkmlError | null {
  const m = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec((e as Error)?.message ?? '');
  if (!m) return null;
  return new ShrinkmlError('BACKEND', `backend '${m[2]}' cannot train student '${student.name}': it has no '${m[1]}' kernel`, {
    subject: '--backend', cause: e,
    suggestion: "for wasm call registerKernels() (shrinkml's conv gradients) after choosing the backend; or train on webgpu, tensorflow (tfjs-node) or cpu (slow)",
  });
}

/** One optimizer step; returns [total, hard, soft] · batch size added to `sums`, and the batch loss. */
export function step(options: {
  optimizer: tf.Optimizer; varList: tf.Variable[]; logits: (x: tf.Tensor) => tf.Tensor; lossOptions: { temperature: number; alpha: number };
  x: tf.Tensor; labels: Int32Array; teacher: tf.Tensor2D; sums: tf.Tensor;
}): [tf.Tensor, tf.Scalar] {
  return tf.tidy(() => {
    const y = tf.tensor1d(options.labels, 'int32');
    let terms: tf.Tensor[] = [];
    const total = options.optimizer.minimize(() => {
      const parts = distillationLossParts(options.lossOptions, y, options.logits(options.x), options.teacher);
      terms = [tf.keep(parts.hard), tf.keep(parts.soft)]; // kept past minimize's own tidy for the epoch means
      return parts.total;
    }, true, options.varList)!;
    const sums = tf.add(options.sums, tf.mul(tf.stack([total, ...terms]), options.labels.length));
    tf.dispose(terms);
    return [sums, total];
  });
}
