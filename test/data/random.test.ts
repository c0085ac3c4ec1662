import { describe, expect, it } from 'vitest';
import { deriveSeed, mulberry32, seededPermutation, seededSample } from '../../src/data/index.js';

describe('seeded randomness', () => {
  it('mulberry32 is deterministic, in [0,1), and seed-dependent', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(mulberry32(43)()).not.toBe(mulberry32(42)());
  });

  it.each([[1, 10], [7, 1000], [123456, 55_000]])('seed %i permutes 0..%i-1 exactly once each', (seed, n) => {
    const p = seededPermutation(n, seed);
    expect(p.length).toBe(n);
    expect(new Set(p).size).toBe(n);
    expect(Math.min(...p)).toBe(0);
    expect(Math.max(...p)).toBe(n - 1);
    expect(Array.from(p)).not.toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('a smaller sample is a prefix of a larger one with the same seed', () => {
    expect(Array.from(seededSample(500, 20, 9))).toEqual(Array.from(seededSample(500, 200, 9).subarray(0, 20)));
    expect(seededSample(5, 99, 1).length).toBe(5);
  });

  it('derived seeds differ across streams and seeds', () => {
    const seeds = new Set<number>();
    for (let s = 0; s < 20; s++) for (let e = 0; e < 20; e++) seeds.add(deriveSeed(s, e));
    expect(seeds.size).toBe(400);
    expect(deriveSeed(3, 4)).toBe(deriveSeed(3, 4));
  });
});
