import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { DISTILL_DEFAULTS } from './defaults.js';

export interface DistillationLossOptions {
  /** Softmax temperature T > 0 of the soft term. Default {@link DISTILL_DEFAULTS.temperature} (Hinton et al. 2015). */
  temperature?: number;
  /** Weight α ∈ [0, 1] of the hard-label cross-entropy; the soft term gets 1 − α. Default {@link DISTILL_DEFAULTS.alpha}. */
  alpha?: number;
}

/** The loss and its two terms, each a batch mean, before weighting by α. */
export interface DistillationLossParts {
  /** α·hard + (1 − α)·soft. */
  total: tf.Scalar;
  /** CE(y, softmax(student)). */
  hard: tf.Scalar;
  /** T²·KL(softmax(teacher/T) ‖ softmax(student/T)). */
  soft: tf.Scalar;
}

/**
 * `labels` are one-hot (or soft) rows [batch, classes], or integer class indices [batch]. Both logit tensors are
 * [batch, classes] raw logits — never probabilities: take them with `logitsOf` when a model ends in a softmax.
 */
export type DistillationLossFn = (labels: tf.Tensor, studentLogits: tf.Tensor, teacherLogits: tf.Tensor) => tf.Scalar;

export function checkLossOptions(options: DistillationLossOptions): Required<DistillationLossOptions> {
  const temperature = options.temperature ?? DISTILL_DEFAULTS.temperature;
  const alpha = options.alpha ?? DISTILL_DEFAULTS.alpha;
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new ShrinkmlError('BAD_INPUT', `distillation temperature must be a finite number > 0, got ${temperature}`, {
      subject: '--temperature', suggestion: 'common values are 2 to 5 (Hinton et al. 2015)',
    });
  }
  if (!Number.isFinite(alpha) || alpha < 0 || alpha > 1) {
    throw new ShrinkmlError('BAD_INPUT', `distillation alpha must be in [0, 1], got ${alpha}`, {
      subject: '--alpha', suggestion: 'alpha weighs the hard labels; common values are 0.1 to 0.5',
    });
  }
  return { temperature, alpha };
}

function toOneHot(labels: tf.Tensor, classes: number): tf.Tensor2D {
  if (labels.rank === 1) return tf.oneHot(labels.toInt(), classes).toFloat() as tf.Tensor2D;
  return labels.toFloat() as tf.Tensor2D;
}

function checkShapes(labels: tf.Tensor, student: tf.Tensor, teacher: tf.Tensor): void {
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  const labelsOk = labels.rank === 1 ? labels.shape[0] === student.shape[0] : same(labels.shape, student.shape);
  if (student.rank !== 2 || !same(student.shape, teacher.shape) || !labelsOk) {
    throw new ShrinkmlError('BAD_INPUT',
      `distillation loss: shapes do not match: labels [${labels.shape}], student logits [${student.shape}], teacher logits [${teacher.shape}]`,
      { suggestion: 'teacher and student must have the same number of classes, and logits must be [batch, classes]' });
  }
}

/**
 * Both terms of the distillation loss, from logits through log-softmax (stable for large logits: no log of a
 * probability that underflowed to 0). The T² factor keeps the soft term's gradients the same size whatever T
 * (Hinton et al. 2015, section 2). The caller owns the returned scalars (or runs this inside tf.tidy).
 */
export function distillationLossParts(
  options: DistillationLossOptions, labels: tf.Tensor, studentLogits: tf.Tensor, teacherLogits: tf.Tensor,
): DistillationLossParts {
  const { temperature: T, alpha } = checkLossOptions(options);
  checkShapes(labels, studentLogits, teacherLogits);
  return tf.tidy(() => {
    const s = studentLogits.toFloat();
    const t = teacherLogits.toFloat();
    const y = toOneHot(labels, s.shape[1]!);
    const hard = tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(s)), -1))) as tf.Scalar;
    const logP = tf.logSoftmax(tf.div(t, T));
    const logQ = tf.logSoftmax(tf.div(s, T));
    // KL(p‖q) = Σ p (log p − log q); p = exp(log p) is exact where it matters and 0·(anything finite) elsewhere.
    const kl = tf.mean(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1));
    const soft = tf.mul(kl, T * T) as tf.Scalar;
    const total = tf.add(tf.mul(hard, alpha), tf.mul(soft, 1 - alpha)) as tf.Scalar;
    return { total, hard, soft };
  });
}

/**
 * The distillation loss α·CE(y, student) + (1 − α)·T²·KL(softmax(teacher/T) ‖ softmax(student/T)), batch mean.
 * With α = 1 it is plain cross-entropy; the KL term is 0 when student and teacher logits are equal.
 * Teacher logits may be precomputed (they are just a tensor here).
 */
export function distillationLoss(options: DistillationLossOptions = {}): DistillationLossFn {
  const checked = checkLossOptions(options);
  return (labels, studentLogits, teacherLogits) => tf.tidy(() => {
    const parts = distillationLossParts(checked, labels, studentLogits, teacherLogits);
    return parts.total;
  });
}
