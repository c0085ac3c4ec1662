import { describe, expect, it } from 'vitest';
import { unpackInt8 } from '../../src/core/numerics.js';
import {
  channelParams, dequantizeWeight, packKernelRows, quantizeWeight, weightRange, type WeightQuantConfig,
} from '../../src/quantize/weights.js';
import { gaussian, uniform } from './helpers.js';

const base: WeightQuantConfig = { bits: 8, perChannel: true, symmetric: true, narrowRange: true };

/** A [K, N] kernel whose channel c has scale 10^(c mod 4 − 2): ranges differ by 1000x across channels. */
function unevenKernel(k: number, n: number): Float32Array {
  const g = gaussian(k * n, 5);
  return g.map((v, i) => v * 10 ** ((i % n) % 4 - 2));
}

function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('weightRange', () => {
  it.each([
    [8, true, -127, 127], [8, false, -128, 127], [4, true, -7, 7], [4, false, -8, 7], [2, true, -1, 1],
  ])('%i bits narrow=%s -> [%i, %i]', (bits, narrowRange, qmin, qmax) => {
    expect(weightRange({ bits, narrowRange })).toEqual({ qmin, qmax });
  });
});

describe('quantizeWeight', () => {
  it.each([
    ['per-channel symmetric', base],
    ['per-tensor symmetric', { ...base, perChannel: false }],
    ['per-channel asymmetric full range', { ...base, symmetric: false, narrowRange: false }],
    ['4-bit per-channel', { ...base, bits: 4 }],
  ] as const)('%s: dequantize error <= scale/2 per channel', (_n, config) => {
    const [k, n] = [37, 6];
    const values = uniform(k * n, -3, 2, 7);
    const w = quantizeWeight({ values, shape: [k, n], config });
    const back = dequantizeWeight(w);
    const { scales } = channelParams(w);
    expect(scales.length).toBe(n);
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(scales[i % n]! / 2 + 1e-7);
      expect(w.q[i]).toBeGreaterThanOrEqual(w.range.qmin);
      expect(w.q[i]).toBeLessThanOrEqual(w.range.qmax);
    }
  });

  it('symmetric int8 narrow: the largest |w| of each channel maps to ±127 and 0 to 0', () => {
    const values = Float32Array.from([0.5, -2, 0, 0, -0.25, 1]); // [3, 2]
    const w = quantizeWeight({ values, shape: [3, 2], config: base });
    expect(w.params.map((p) => p.scale)).toEqual([Math.fround(0.5 / 127), Math.fround(2 / 127)]);
    expect(Array.from(w.q)).toEqual([127, -127, 0, 0, -64, 64]); // -0.25/(0.5/127) = -63.5 → -64 (half to even)
  });

  it('per-channel error is far below per-tensor on a layer with uneven channel ranges', () => {
    const [k, n] = [64, 8];
    const values = unevenKernel(k, n);
    const err = (perChannel: boolean) => {
      const back = dequantizeWeight(quantizeWeight({ values, shape: [k, n], config: { ...base, perChannel } }));
      // relative error of the smallest channels, where per-tensor scales hurt most
      let worst = 0;
      for (let i = 0; i < values.length; i++) if ((i % n) % 4 === 0) worst = Math.max(worst, Math.abs(back[i]! - values[i]!));
      return worst;
    };
    expect(err(true)).toBeLessThan(err(false) / 100);
    expect(maxAbsError(values, dequantizeWeight(quantizeWeight({ values, shape: [k, n], config: base }))))
      .toBeLessThan(maxAbsError(values, dequantizeWeight(quantizeWeight({ values, shape: [k, n], config: { ...base, perChannel: false } }))));
  });

  it('an all-zero channel gets scale 1 and codes 0', () => {
    const w = quantizeWeight({ values: Float32Array.from([0, 1, 0, -1]), shape: [2, 2], config: base });
    expect(w.params[0]).toEqual({ scale: 1, zeroPoint: 0 });
    expect(w.q[0]).toBe(0);
  });
});

describe('packKernelRows', () => {
  it('transposes [K, N] codes to N rows of K and packs them', () => {
    const [k, n] = [5, 3];
    const q = Int32Array.from({ length: k * n }, (_, i) => (i * 37) % 255 - 127);
    const packed = packKernelRows(q, n);
    expect(packed.length).toBe(n * Math.ceil(k / 4));
    const rows = unpackInt8(packed, { rowLength: k });
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) expect(rows[j * k + i]).toBe(q[i * n + j]);
  });
});
