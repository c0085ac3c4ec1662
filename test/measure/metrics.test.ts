import { describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { getMetric, isProbabilities, METRICS, toProbabilities, type MetricBatch } from '../../src/measure/index.js';

const f32 = (v: number[]) => Float32Array.from(v);

/** Runs a registry metric over batches, streamed. */
function run(name: string, batches: Omit<MetricBatch, 'rows'>[]): number {
  const acc = getMetric(name).create();
  for (const b of batches) acc.collect({ ...b, rows: b.output.length / b.cols });
  return acc.compute();
}

describe('metric registry', () => {
  it('lists one entry per metric, by name', () => {
    expect(METRICS.map((m) => m.name)).toEqual(['accuracy', 'agreement', 'meanKl', 'cosine', 'mse', 'psnr']);
  });

  it('an unknown metric is an error listing the known ones', () => {
    expect(() => getMetric('f1')).toThrow(ShrinkmlError);
    expect(() => getMetric('f1')).toThrow(/unknown metric 'f1'/);
    try { getMetric('f1'); } catch (e) { expect((e as ShrinkmlError).suggestion).toContain('meanKl'); }
  });

  it.each(METRICS.map((m) => m.name))('%s is NaN when nothing was collected', (name) => {
    expect(getMetric(name).create().compute()).toBeNaN();
  });
});

describe('metrics against hand-computed values', () => {
  // Sample 1: ref [0.5, 0.5], model [0.9, 0.1] → KL = 0.5·ln(0.5/0.9) + 0.5·ln(0.5/0.1) = ln(5/3).
  // Sample 2: ref [1, 0], model [0.5, 0.5] → KL = ln 2.
  const refP = f32([0.5, 0.5, 1, 0]);
  const modelP = f32([0.9, 0.1, 0.5, 0.5]);
  const expectedKl = (Math.log(5 / 3) + Math.log(2)) / 2;

  it('meanKl of two known distributions', () => {
    expect(run('meanKl', [{ output: modelP, reference: refP, cols: 2 }])).toBeCloseTo(expectedKl, 6);
  });

  it('meanKl applies softmax to logits and gets the same value', () => {
    // softmax([0, 0]) = [0.5, 0.5]; softmax([ln 9, 0]) = [0.9, 0.1]; softmax([100, 0]) ≈ [1, 0].
    const refLogits = f32([0, 0, 100, 0]);
    const modelLogits = f32([Math.log(9), 0, 3, 3]);
    expect(run('meanKl', [{ output: modelLogits, reference: refLogits, cols: 2 }])).toBeCloseTo(expectedKl, 6);
  });

  it('meanKl streamed over two batches equals one batch', () => {
    const streamed = run('meanKl', [
      { output: modelP.subarray(0, 2), reference: refP.subarray(0, 2), cols: 2 },
      { output: modelP.subarray(2), reference: refP.subarray(2), cols: 2 },
    ]);
    expect(streamed).toBeCloseTo(expectedKl, 6);
  });

  it('meanKl of identical distributions is 0', () => {
    expect(run('meanKl', [{ output: refP, reference: refP, cols: 2 }])).toBe(0);
  });

  it('cosine: orthogonal 0, parallel 1, 45° 1/√2, two zero vectors 1', () => {
    const output = f32([1, 0, 1, 2, 1, 0, 0, 0]);
    const reference = f32([0, 1, 2, 4, 1, 1, 0, 0]);
    expect(run('cosine', [{ output, reference, cols: 2 }])).toBeCloseTo((0 + 1 + Math.SQRT1_2 + 1) / 4, 6);
  });

  it('mse and psnr: error 2 on one of 4 elements, peak |ref| = 6', () => {
    const batch = { output: f32([1, 2, 3, 4]), reference: f32([1, 2, 3, 6]), cols: 2 };
    expect(run('mse', [batch])).toBe(1);
    expect(run('psnr', [batch])).toBeCloseTo(10 * Math.log10(36), 6);
  });

  it('psnr peak is max |ref| including negative values; identical outputs give Infinity', () => {
    const batch = { output: f32([0, 0]), reference: f32([-4, 2]), cols: 2 }; // mse = (16 + 4) / 2 = 10
    expect(run('psnr', [batch])).toBeCloseTo(10 * Math.log10(16 / 10), 6);
    expect(run('psnr', [{ output: f32([1, 2]), reference: f32([1, 2]), cols: 2 }])).toBe(Infinity);
  });

  it('agreement counts equal top-1 classes', () => {
    const output = f32([0.9, 0.1, 0.2, 0.8, 5, 1]);
    const reference = f32([0.6, 0.4, 0.7, 0.3, 2, -1]);
    expect(run('agreement', [{ output, reference, cols: 2 }])).toBeCloseTo(2 / 3, 12);
  });

  it('accuracy is top-1 against labels over all batches', () => {
    expect(run('accuracy', [
      { output: f32([0.1, 0.7, 0.2, 0.8, 0.1, 0.1]), labels: Int32Array.from([1, 0]), cols: 3 },
      { output: f32([0, 0, 1, 1, 0, 0]), labels: Int32Array.from([0, 0]), cols: 3 },
    ])).toBe(3 / 4);
  });
});

describe('probability detection', () => {
  it.each([
    ['softmax rows', [0.5, 0.5, 0.2, 0.8], true],
    ['sum within 1e-3', [0.5, 0.5005], true],
    ['sum off by 2e-3', [0.5, 0.502], false],
    ['negative entry', [-0.1, 1.1], false],
    ['logits', [2, -1], false],
  ])('%s → %s', (_name, values, expected) => {
    expect(isProbabilities(f32(values), values.length / 2, 2)).toBe(expected);
  });

  it('softmax of logits is stable for large values', () => {
    const p = toProbabilities(f32([1000, 1000]), 1, 2);
    expect(Array.from(p)).toEqual([0.5, 0.5]);
  });
});
