import { describe, expect, it } from 'vitest';
import {
  affineParams, dequantizeValue, fakeQuantize, packInt8, qRange, quantize, quantizeValue, roundHalfEven,
  symmetricParams, unpackInt8,
} from '../../src/core/numerics.js';

describe('roundHalfEven', () => {
  it.each([
    [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, -0], [-1.5, -2], [-2.5, -2], [2.4999, 2], [2.5001, 3],
    [-2.5001, -3], [7, 7], [-127.5, -128], [126.5, 126], [Infinity, Infinity],
  ])('%f -> %f', (x, want) => {
    expect(Object.is(roundHalfEven(x), want)).toBe(true);
  });
});

describe('qRange', () => {
  it.each([
    ['int8', false, -128, 127], ['int8', true, -127, 127], ['uint8', false, 0, 255], ['uint8', true, 1, 255],
  ] as const)('%s narrow=%s', (dtype, narrow, qmin, qmax) => {
    expect(qRange({ dtype, narrow })).toEqual({ qmin, qmax });
  });
});

describe('quantizeValue', () => {
  const r = qRange();
  it.each([
    // x, scale, zeroPoint, q
    [0.25, 0.5, 0, 0], [0.75, 0.5, 0, 2], [1.25, 0.5, 0, 2], [-0.25, 0.5, 0, 0], [-0.75, 0.5, 3, 1],
    [1000, 0.1, 0, 127], [-1000, 0.1, 0, -128], [NaN, 0.1, 5, 5], [Infinity, 1, 0, 127], [-Infinity, 1, -3, -128],
    [0.3, 0.1, 0, 3], [12.7, 0.1, 0, 127],
  ])('q(%f; s=%f, z=%i) = %i', (x, scale, zeroPoint, q) => {
    expect(quantizeValue(x, { scale, zeroPoint }, r)).toBe(q);
  });

  it('divides in float32 rather than multiplying by the inverse scale', () => {
    // 0.3 / 0.1 in float32 is exactly 3 -> 3; the ties this guards are covered by the kernel tests.
    expect(quantizeValue(Math.fround(0.3), { scale: Math.fround(0.1), zeroPoint: 0 }, r)).toBe(3);
  });

  it('dequantizes (q - z) * s in float32', () => {
    expect(dequantizeValue(-3, { scale: 0.1, zeroPoint: 2 })).toBe(Math.fround(-5 * 0.1));
  });
});

describe('quantize per channel (last axis)', () => {
  it('uses one parameter set per channel', () => {
    const x = [1, 1, 1, -2, -2, -2];
    const params = [{ scale: 1, zeroPoint: 0 }, { scale: 0.5, zeroPoint: 0 }, { scale: 0.25, zeroPoint: 1 }];
    expect(Array.from(quantize(x, { params, range: qRange() }))).toEqual([1, 2, 5, -2, -4, -7]);
    expect(Array.from(fakeQuantize(x, { params, range: qRange() }))).toEqual([1, 1, 1, -2, -2, -2]);
  });
});

describe('choosing parameters', () => {
  it.each([
    [-1, 2, 3 / 255, -128 + 85], [0.5, 2, 2 / 255, -128], [-4, -1, 4 / 255, 127], [0, 0, 1, -128],
  ])('affine [%f, %f] -> scale %f zeroPoint %i', (min, max, scale, zeroPoint) => {
    const p = affineParams({ min, max });
    expect(p.scale).toBe(Math.fround(scale));
    expect(p.zeroPoint).toBe(zeroPoint);
    // Real 0 is exactly representable.
    expect(dequantizeValue(quantizeValue(0, p, qRange()), p)).toBe(0);
  });

  it.each([[-0.5, 1.27, 0.01], [-2.54, 1, 0.02], [0, 0, 1]])('symmetric [%f, %f] -> scale %f', (min, max, scale) => {
    const p = symmetricParams({ min, max });
    expect(p).toEqual({ scale: Math.fround(scale), zeroPoint: 0 });
  });
});

describe('packInt8', () => {
  it('packs little-endian, lane 0 in the lowest byte', () => {
    expect(Array.from(packInt8([1, 2, 3, 4]))).toEqual([0x04030201]);
    expect(Array.from(packInt8([-1, 0, 0, -128]))).toEqual([0x800000ff | 0]);
  });

  it.each([1, 3, 4, 5, 7, 9])('round-trips rows of length %i with zero padding per row', (k) => {
    const rows = 3;
    const values = Array.from({ length: rows * k }, (_, i) => ((i * 37) % 256) - 128);
    const packed = packInt8(values, { rowLength: k });
    expect(packed.length).toBe(rows * Math.ceil(k / 4));
    expect(Array.from(unpackInt8(packed, { rowLength: k }))).toEqual(values);
    const bytes = new Int8Array(packed.buffer);
    for (let r = 0; r < rows; r++) {
      for (let i = k; i < Math.ceil(k / 4) * 4; i++) expect(bytes[r * Math.ceil(k / 4) * 4 + i]).toBe(0);
    }
  });

  it('unpacks uint8 without sign extension', () => {
    expect(Array.from(unpackInt8(packInt8([255, 128, 1]), { rowLength: 3, signed: false }))).toEqual([255, 128, 1]);
  });

  it('rejects a length that is not a multiple of the row length', () => {
    expect(() => packInt8([1, 2, 3], { rowLength: 2 })).toThrow(/packInt8 got 3 values/);
  });
});
