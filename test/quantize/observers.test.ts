import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { affineParams, fakeQuantize, qRange } from '../../src/core/numerics.js';
import { createObserver, OBSERVERS, StreamingHistogram, type ObserverName, type ObserverOptions } from '../../src/quantize/observers/index.js';
import { asBatches, gaussian, heavyTailed, laplace, uniform, useWasm } from './helpers.js';

async function observe(name: ObserverName, values: Float32Array, options?: ObserverOptions, batch = 10_000) {
  const observer = createObserver(name, options);
  const before = tf.memory().numTensors;
  const tensors = asBatches(values, batch);
  for (const t of tensors) await observer.collect(t);
  tf.dispose(tensors);
  expect(tf.memory().numTensors).toBe(before);
  return observer.compute();
}

function maxOf(values: Float32Array): number {
  return values.reduce((a, b) => Math.max(a, b), -Infinity);
}

/** Mean squared error of int8 fake quantization with the clip range r. */
function mseWith(values: Float32Array, r: { min: number; max: number }): number {
  const range = qRange();
  const fq = fakeQuantize(values, { params: affineParams({ ...r, range }), range });
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i]! - fq[i]!) ** 2;
  return s / values.length;
}

beforeAll(useWasm);

describe('observer registry', () => {
  it('lists the five observers, each of which rejects compute() before collect()', () => {
    expect(OBSERVERS.map((o) => o.name)).toEqual(['minmax', 'moving-average', 'percentile', 'entropy', 'mse']);
    for (const o of OBSERVERS) expect(() => o.create().compute()).toThrow(/before any collect/);
  });

  it.each([
    ['nope', undefined, /unknown observer 'nope'/],
    ['percentile', { percentile: 40 }, /percentile must be in \(50, 100\]/],
    ['moving-average', { averagingConstant: 0 }, /averagingConstant must be in/],
    ['entropy', { bins: 3 }, /bins must be an integer/],
    ['entropy', { maxClipped: 1 }, /maxClipped must be in \[0, 1\)/],
  ] as const)('rejects %s %j', (name, options, message) => {
    expect(() => createObserver(name, options as ObserverOptions)).toThrow(message);
  });

  it('rejects non-finite activations', async () => {
    const t = tf.tensor1d([1, NaN, 2]);
    await expect(createObserver('minmax').collect(t)).rejects.toThrow(/NaN or Infinity/);
    t.dispose();
  });
});

describe('closed-form answers', () => {
  const u = uniform(100_000, -2, 6);
  const g = gaussian(100_000);

  it('minmax returns the exact extremes', async () => {
    const r = await observe('minmax', u);
    expect(r.min).toBe(u.reduce((a, b) => Math.min(a, b)));
    expect(r.max).toBe(maxOf(u));
  });

  it('moving-average follows m += c·(batch − m) over batch extremes', async () => {
    const batches = [[0, 1], [-1, 3], [-4, 2]].map(([lo, hi]) => Float32Array.from([lo!, (lo! + hi!) / 2, hi!]));
    const o = createObserver('moving-average', { averagingConstant: 0.5 });
    for (const b of batches) { const t = tf.tensor1d(b); await o.collect(t); t.dispose(); }
    // min: 0 → 0 + .5(−1 − 0) = −.5 → −.5 + .5(−4 + .5) = −2.25; max: 1 → 2 → 2
    expect(o.compute()).toEqual({ min: -2.25, max: 2 });
  });

  it.each([
    // data, percentile, expected lower, expected upper, tolerance
    ['uniform[-2,6]', 99.99, -2 + 8e-4, 6 - 8e-4, 0.01],
    ['uniform[-2,6]', 99, -2 + 0.08, 6 - 0.08, 0.02],
    ['gaussian', 99, -2.3263, 2.3263, 0.05],
    ['gaussian', 97.5, -1.96, 1.96, 0.04],
    ['relu(gaussian)', 99, 0, 2.3263, 0.05],
  ] as const)('percentile of %s at %f', async (data, p, lo, hi, tol) => {
    const values = data === 'gaussian' ? g : data === 'relu(gaussian)' ? g.map((v) => Math.max(v, 0)) : u;
    const r = await observe('percentile', values, { percentile: p });
    expect(Math.abs(r.min - lo)).toBeLessThan(tol);
    expect(Math.abs(r.max - hi)).toBeLessThan(tol);
  });

  it('mse keeps nearly the whole range of uniform data', async () => {
    const r = await observe('mse', u);
    expect(r.max).toBeGreaterThan(5.8);
    expect(r.min).toBeLessThan(-1.9);
  });

  it.each(['gaussian', 'heavy-tailed'] as const)('mse clip is within 3 percent of the brute-force optimum on %s data', async (data) => {
    const values = data === 'gaussian' ? g : heavyTailed(100_000);
    const r = await observe('mse', values);
    const lo = Math.min(...values);
    const hi = maxOf(values);
    let best = Infinity;
    for (let k = 5; k <= 100; k++) best = Math.min(best, mseWith(values, { min: lo * k / 100, max: hi * k / 100 }));
    expect(mseWith(values, r)).toBeLessThan(best * 1.03);
    expect(mseWith(values, r)).toBeLessThan(mseWith(values, { min: lo, max: hi }));
  });

  it('entropy clips a Gaussian between 2σ and its max', async () => {
    const r = await observe('entropy', g);
    expect(r.max).toBeGreaterThan(2);
    expect(r.max).toBeLessThan(maxOf(g));
    expect(r.min).toBeCloseTo(-r.max, 6);
  });
});

describe('heavy-tailed data', () => {
  const h = heavyTailed(200_000);
  const max = maxOf(h);

  /** MSE over the body of the distribution (|x| < 10): what clipping the outliers buys. */
  const body = h.filter((v) => Math.abs(v) < 10);

  it.each(['percentile', 'entropy'] as const)('%s clips well below the max and quantizes the body 4x better', async (name) => {
    const r = await observe(name, h);
    expect(max).toBeGreaterThan(40);
    expect(r.max).toBeLessThan(max / 2);
    expect(r.max).toBeGreaterThan(3); // Laplace(1): |x| > 3 for 5% of samples, it must not clip the body
    const full = await observe('minmax', h);
    expect(mseWith(body, r)).toBeLessThan(mseWith(body, full) / 4);
  });

  it("mse clips Laplace(1) near ACIQ's closed-form 8-bit optimum (9.89 b), below the max", async () => {
    const values = laplace(200_000, 11);
    const r = await observe('mse', values);
    expect(maxOf(values)).toBeGreaterThan(11);
    expect(r.max).toBeGreaterThan(8.5);
    expect(r.max).toBeLessThan(11);
  });

  it('non-negative data (after ReLU) keeps min at 0', async () => {
    const relu = h.map((v) => Math.max(0, v));
    for (const name of ['percentile', 'entropy'] as const) {
      const r = await observe(name, relu);
      expect(r.min).toBe(0);
      expect(r.max).toBeLessThan(max / 2);
    }
  });
});

describe('entropy on a spiky activation (a ReLU of a bias over blank background)', () => {
  // half exact zeros, a third at one constant value, the rest a ReLU'd Gaussian reaching ~4.5
  const g = gaussian(60_000, 12);
  const values = Float32Array.from({ length: 60_000 }, (_, i) => (i % 6 < 3 ? 0 : i % 6 < 5 ? 0.32 : Math.abs(g[i]!)));

  it('does not clip at the spike: at most 0.1% of the values are cut', async () => {
    const r = await observe('entropy', values);
    const cut = values.filter((v) => v > r.max).length / values.length;
    expect(cut).toBeLessThanOrEqual(1e-3);
    expect(r.max).toBeGreaterThan(2.5);
  });

  it('without the guard the folded-tail divergence picks the spike', async () => {
    const r = await observe('entropy', values, { maxClipped: 0.99 });
    expect(r.max).toBeLessThan(0.5);
  });
});

describe('StreamingHistogram', () => {
  it('keeps the total mass and the quantiles when the range grows batch by batch', async () => {
    const values = uniform(40_000, 0, 1, 9);
    // ascending batches force the range to grow three times
    const parts = [values.map((v) => v * 0.25), values.map((v) => 0.25 + v * 0.25), values.map((v) => 0.5 + v * 0.5)];
    const h = new StreamingHistogram(512);
    for (const p of parts) {
      const t = tf.tensor1d(p);
      await h.add(t, { min: Math.min(...p), max: maxOf(p) });
      t.dispose();
    }
    expect(h.counts.reduce((a, b) => a + b, 0)).toBeCloseTo(120_000, 6);
    // the mixture has 1/3 of its mass below 0.25 and the median at 0.5 (every part spans its range uniformly)
    expect(h.quantile(1 / 3)).toBeCloseTo(0.25, 2);
    expect(h.quantile(2 / 3)).toBeCloseTo(0.5, 2);
  });

  it('handles a constant batch followed by a wider one', async () => {
    const h = new StreamingHistogram(64);
    const a = tf.fill([100], 2);
    const b = tf.tensor1d([0, 4]);
    await h.add(a, { min: 2, max: 2 });
    await h.add(b, { min: 0, max: 4 });
    tf.dispose([a, b]);
    expect(h.total).toBe(102);
    expect(h.quantile(0.5)).toBeCloseTo(2, 1);
  });
});
