import { describe, expect, it } from 'vitest';
import { affineParams, packInt8, qRange, quantize } from '../../src/core/numerics.js';
import { dynamicParams, finiteRange, quantizePack } from '../../src/runtime/quantize-input.js';
import { gaussian } from '../quantize/helpers.js';

describe('quantizePack (the inlined hot loop)', () => {
  const r = qRange();
  it.each([
    ['ties and specials', Float32Array.from([0.25, 0.75, -0.25, -0.75, 1.25, 63.75, -64.25, NaN, Infinity, -Infinity, 1e9, -0]), 0.5, 3, 12],
    ['gaussian rows of 7', gaussian(70, 8), 0.03, -5, 7],
    ['exact .5 ties at scale 1', Float32Array.from({ length: 256 }, (_, i) => i / 2 - 64), 1, 0, 16],
  ])('%s: equals numerics quantize + packInt8', (_n, values, scale, zeroPoint, rowLength) => {
    const params = { scale: Math.fround(scale), zeroPoint };
    expect(Array.from(quantizePack(values, params, rowLength)))
      .toEqual(Array.from(packInt8(quantize(values, { params, range: r }), { rowLength })));
  });

  it('dynamic parameters ignore non-finite values and always contain 0', () => {
    expect(finiteRange(Float32Array.from([2, NaN, 5, Infinity, -Infinity]))).toEqual({ min: 0, max: 5 });
    expect(dynamicParams(Float32Array.from([-1, 3]))).toEqual(affineParams({ min: -1, max: 3, range: r }));
  });
});
