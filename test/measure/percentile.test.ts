import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../../src/measure/index.js';

const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);

describe('percentile (nearest rank)', () => {
  it.each([
    [[1, 2, 3, 4], 50, 2],
    [[4, 1, 3, 2], 50, 2],
    [[1, 2, 3, 4, 5], 50, 3],
    [oneToTwenty, 95, 19],
    [oneToTwenty, 100, 20],
    [oneToTwenty, 5, 1],
    [oneToTwenty, 1, 1],
    [[7], 95, 7],
    [[15, 20, 35, 40, 50], 30, 20],
    [[15, 20, 35, 40, 50], 40, 20],
    [[15, 20, 35, 40, 50], 50, 35],
  ])('%j p%d = %d', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it.each([[[], 50], [[1], 0], [[1], 101], [[1], NaN]])('rejects %j p%d', (values, p) => {
    expect(() => percentile(values, p)).toThrow(RangeError);
  });

  it('summarize gives p50, p95, mean, min, max', () => {
    expect(summarize([3, 1, 2, 10])).toEqual({ p50: 2, p95: 10, mean: 4, min: 1, max: 10 });
  });
});
