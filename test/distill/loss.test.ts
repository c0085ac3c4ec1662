import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { distillationLoss, distillationLossParts } from '../../src/distill/index.js';

/** Reference implementation in float64 JS, written from the formula, not from the code under test. */
function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}
function handLoss(labels: number[], s: number[][], t: number[][], T: number, alpha: number): { total: number; hard: number; soft: number } {
  let hard = 0;
  let soft = 0;
  for (let i = 0; i < s.length; i++) {
    hard += -logSoftmax(s[i])[labels[i]];
    const logP = logSoftmax(t[i].map((v) => v / T));
    const logQ = logSoftmax(s[i].map((v) => v / T));
    soft += T * T * logP.reduce((acc, lp, k) => acc + Math.exp(lp) * (lp - logQ[k]), 0);
  }
  hard /= s.length;
  soft /= s.length;
  return { total: alpha * hard + (1 - alpha) * soft, hard, soft };
}

const LABELS = [0, 2, 1];
const STUDENT = [[1, 2, 3], [0.5, -1, 2], [-2, 0.25, 0]];
const TEACHER = [[3, 1, 0], [0, 0, 4], [1, 3, -1]];

let before = 0;
beforeEach(() => { before = tf.memory().numTensors; });
afterEach(() => { expect(tf.memory().numTensors).toBe(before); });

function run<T>(f: (labels: tf.Tensor, s: tf.Tensor, t: tf.Tensor) => T): T {
  const labels = tf.tensor1d(LABELS, 'int32');
  const s = tf.tensor2d(STUDENT);
  const t = tf.tensor2d(TEACHER);
  try {
    return f(labels, s, t);
  } finally {
    tf.dispose([labels, s, t]);
  }
}

describe('distillationLoss', () => {
  it.each([
    [1, 0.5], [2, 0.3], [4, 0.1], [10, 0], [0.5, 1],
  ])('equals the hand computation at T=%s, alpha=%s', (T, alpha) => {
    const expected = handLoss(LABELS, STUDENT, TEACHER, T, alpha);
    const got = run((y, s, t) => {
      const parts = distillationLossParts({ temperature: T, alpha }, y, s, t);
      const values = [parts.total, parts.hard, parts.soft].map((p) => p.dataSync()[0]);
      tf.dispose([parts.total, parts.hard, parts.soft]);
      const loss = distillationLoss({ temperature: T, alpha })(y, s, t);
      values.push(loss.dataSync()[0]);
      loss.dispose();
      return values;
    });
    expect(got[0]).toBeCloseTo(expected.total, 5);
    expect(got[1]).toBeCloseTo(expected.hard, 5);
    expect(got[2]).toBeCloseTo(expected.soft, 5);
    expect(got[3]).toBeCloseTo(expected.total, 5);
  });

  it('with alpha = 1 equals tf.losses.softmaxCrossEntropy', () => {
    const [ours, reference] = run((y, s, t) => {
      const loss = distillationLoss({ temperature: 3, alpha: 1 })(y, s, t);
      const onehot = tf.oneHot(y, 3);
      const ce = tf.losses.softmaxCrossEntropy(onehot, s);
      const values = [loss.dataSync()[0], ce.dataSync()[0]];
      tf.dispose([loss, onehot, ce]);
      return values;
    });
    expect(ours).toBeCloseTo(reference, 6);
    expect(ours).toBeGreaterThan(0.5); // the fixture is not trivially solved
  });

  it('accepts one-hot labels as well as class indices', () => {
    const [fromIndex, fromOneHot] = run((y, s, t) => {
      const onehot = tf.oneHot(y, 3);
      const fn = distillationLoss({ temperature: 2, alpha: 0.5 });
      const a = fn(y, s, t);
      const b = fn(onehot, s, t);
      const values = [a.dataSync()[0], b.dataSync()[0]];
      tf.dispose([onehot, a, b]);
      return values;
    });
    expect(fromOneHot).toBeCloseTo(fromIndex, 6);
  });

  it.each([1, 4, 20])('has a zero KL term when student == teacher (T=%s)', (T) => {
    const soft = run((_y, _s, t) => {
      const y = tf.tensor1d(LABELS, 'int32');
      const parts = distillationLossParts({ temperature: T, alpha: 0 }, y, t, t);
      const v = parts.soft.dataSync()[0];
      tf.dispose([y, parts.total, parts.hard, parts.soft]);
      return v;
    });
    expect(Math.abs(soft)).toBeLessThan(1e-5);
  });

  it('is finite and exact for logits that saturate softmax in float32', () => {
    const s = [[1000, 0, -1000]];
    const t = [[-1000, 0, 1000]];
    const expected = handLoss([2], s, t, 1, 0.5);
    const y = tf.tensor1d([2], 'int32');
    const st = tf.tensor2d(s);
    const tt = tf.tensor2d(t);
    const loss = distillationLoss({ temperature: 1, alpha: 0.5 })(y, st, tt);
    const v = loss.dataSync()[0];
    tf.dispose([y, st, tt, loss]);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeCloseTo(expected.total, 0); // ≈ 2000: log-softmax keeps the 2000-nat gap exactly
    expect(expected.total).toBeGreaterThan(1900);
  });

  // d/ds [T² KL(softmax(t/T) ‖ softmax(s/T))] = T (softmax(s/T) − softmax(t/T)), averaged over the batch.
  it.each([1, 2, 4, 8])('soft-term gradient is T·(q − p)/batch at T=%s (the T² factor cancels 1/T²)', (T) => {
    const grad = run((y, s, t) => {
      const g = tf.grad((x: tf.Tensor) => distillationLoss({ temperature: T, alpha: 0 })(y, x, t))(s);
      const values = g.arraySync() as number[][];
      g.dispose();
      return values;
    });
    STUDENT.forEach((row, i) => {
      const q = logSoftmax(row.map((v) => v / T)).map(Math.exp);
      const p = logSoftmax(TEACHER[i].map((v) => v / T)).map(Math.exp);
      row.forEach((_, k) => expect(grad[i][k]).toBeCloseTo((T * (q[k] - p[k])) / STUDENT.length, 5));
    });
  });

  it('soft-term gradients keep their size as T grows (the high-temperature limit)', () => {
    // High-temperature limit (Hinton et al. 2015, eq. 3): the scaled gradient tends to (z − v)/(N·batch), free of T.
    const small = [[0.3, -0.2, 0.1]];
    const other = [[-0.1, 0.4, 0.0]];
    const norm = (T: number) => {
      const y = tf.tensor1d([0], 'int32');
      const s = tf.tensor2d(small);
      const t = tf.tensor2d(other);
      const g = tf.grad((x: tf.Tensor) => distillationLoss({ temperature: T, alpha: 0 })(y, x, t))(s);
      const gn = tf.norm(g);
      const n = gn.dataSync()[0];
      tf.dispose([y, s, t, g, gn]);
      return n;
    };
    const [g10, g20, g40] = [norm(10), norm(20), norm(40)];
    expect(g20 / g10).toBeCloseTo(1, 2);
    expect(g40 / g10).toBeCloseTo(1, 2);
    // And the limit value itself: centred (z − v)/N.
    const diff = small[0].map((z, k) => z - other[0][k]);
    const mean = diff.reduce((a, b) => a + b, 0) / 3;
    const limit = Math.hypot(...diff.map((d) => (d - mean) / 3));
    expect(g40).toBeCloseTo(limit, 3);
  });

  it.each([
    [{ temperature: 0 }, 'temperature'],
    [{ temperature: -1 }, 'temperature'],
    [{ temperature: Number.NaN }, 'temperature'],
    [{ alpha: 1.5 }, 'alpha'],
    [{ alpha: -0.1 }, 'alpha'],
  ])('rejects %j naming --%s', (options, flag) => {
    try {
      distillationLoss(options);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ShrinkmlError);
      expect((e as ShrinkmlError).code).toBe('BAD_INPUT');
      expect((e as ShrinkmlError).subject).toBe(`--${flag}`);
    }
  });

  it('rejects teacher and student logits of different class counts', () => {
    const y = tf.tensor1d([0], 'int32');
    const s = tf.tensor2d([[1, 2, 3]]);
    const t = tf.tensor2d([[1, 2]]);
    expect(() => distillationLoss()(y, s, t)).toThrow(/shapes do not match.*\[1,3\].*\[1,2\]/);
    tf.dispose([y, s, t]);
  });
});
