import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { InputShape } from '../data/shape.js';
import type { Dataset } from '../data/types.js';
import { modelInputShape } from '../train/evaluate.js';
import { datasetLogits } from './evaluate.js';
import { logitsOf, type LogitsFn } from './logits.js';

/** A frozen teacher: a Layers model (a softmax output is handled), a logits function, or its logits already computed. */
export interface TeacherSource {
  teacher?: tf.LayersModel | LogitsFn;
  /** Input shape for a function teacher, batch first (default: the student's). */
  teacherInputShape?: InputShape;
  /** Precomputed teacher logits, row i for sample i of the training data: [count, classes] or row-major values. */
  teacherLogits?: tf.Tensor | Float32Array;
}

export interface TeacherLogits {
  /** Row-major [count, classes]. */
  values: Float32Array;
  classes: number;
  /** Whether they were read before the teacher's softmax; null when the teacher was not a Layers model. */
  fromSoftmax: boolean | null;
}

/** The teacher's logits for every training sample, computed once (the teacher is frozen). */
export async function teacherLogits(source: TeacherSource, data: Dataset, studentShape: InputShape, classes: number): Promise<TeacherLogits> {
  let out: TeacherLogits;
  if (source.teacherLogits) {
    const given = source.teacherLogits;
    const values = given instanceof Float32Array ? given : (await given.data()) as Float32Array;
    out = { values, classes: given instanceof Float32Array ? values.length / data.count : given.shape[1] ?? 0, fromSoftmax: null };
    if (!(given instanceof Float32Array) && (given.rank !== 2 || given.shape[0] !== data.count)) {
      throw new ShrinkmlError('BAD_INPUT', `teacher logits have shape [${given.shape}] but data '${data.name}' has ${data.count} samples of ${classes} classes`, {
        subject: 'teacherLogits',
      });
    }
  } else if (source.teacher) {
    const view = typeof source.teacher === 'function' ? { logits: source.teacher, fromSoftmax: null } : logitsOf(source.teacher);
    const inputShape = typeof source.teacher === 'function' ? source.teacherInputShape ?? studentShape : modelInputShape(source.teacher);
    const computed = await datasetLogits({ logits: view.logits, data, inputShape });
    out = { ...computed, fromSoftmax: view.fromSoftmax };
  } else {
    throw new ShrinkmlError('BAD_INPUT', 'distill: give a teacher model or precomputed teacher logits', { subject: '--teacher' });
  }
  if (out.classes !== classes || out.values.length !== data.count * classes) {
    throw new ShrinkmlError('BAD_INPUT',
      `teacher gives ${out.classes} classes (${out.values.length} logits) but the student has ${classes} classes over ${data.count} samples`,
      { subject: '--teacher', suggestion: 'teacher and student must classify the same classes' });
  }
  return out;
}

/** The teacher rows of the samples `indices`, as a [n, classes] tensor. */
export function teacherRows(logits: TeacherLogits, indices: Int32Array): tf.Tensor2D {
  const { values, classes } = logits;
  const rows = new Float32Array(indices.length * classes);
  for (let i = 0; i < indices.length; i++) rows.set(values.subarray(indices[i]! * classes, (indices[i]! + 1) * classes), i * classes);
  return tf.tensor2d(rows, [indices.length, classes]);
}
