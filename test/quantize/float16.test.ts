import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { toFloat16 } from '../../src/formats/encode.js';
import {
  FLOAT16_MIN_NORMAL, fromFloat16, isFloat16Exact, roundToFloat16, storedBias, storedScales,
} from '../../src/quantize/float16.js';
import { gaussian } from './helpers.js';

const f32 = Math.fround;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('roundToFloat16', () => {
  it.each([
    ['one', 1, 1],
    ['largest finite', 65504, 65504],
    ['smallest subnormal', 2 ** -24, 2 ** -24],
    ['a tie rounds to the even mantissa (down)', 1 + 2 ** -11, 1],
    ['a tie rounds to the even mantissa (up)', 1 + 3 * 2 ** -11, 1 + 2 ** -9],
    ['0.1', f32(0.1), 0.0999755859375],
    ['negative', -2.5, -2.5],
    ['below half the smallest subnormal flushes to zero', 1e-9, 0],
    ['overflow', 70000, Infinity],
    ['negative zero keeps its sign', -0, -0],
  ])('%s: %d → %d', (_, value, want) => {
    expect(Object.is(roundToFloat16([value])[0], want)).toBe(true);
  });

  it('equals what stock tfjs decodes from a float16 manifest entry (normal and subnormal values)', () => {
    const values = Float32Array.from([...gaussian(500, 4, 3), ...gaussian(200, 5, 1e-5), ...gaussian(100, 6, 1e3)]);
    const half = toFloat16(values);
    const decoded = tf.io.decodeWeights(half.buffer as ArrayBuffer, [{ name: 'w', shape: [values.length], dtype: 'float32', quantization: { dtype: 'float16' } }]);
    const want = decoded.w!.dataSync();
    expect(Array.from(roundToFloat16(values))).toEqual(Array.from(want));
    expect(Array.from(fromFloat16(half))).toEqual(Array.from(want));
    tf.dispose(decoded);
  });

  it('is idempotent and within 2^-11 relative error in the normal range', () => {
    const values = gaussian(1000, 7, 2);
    const once = roundToFloat16(values);
    expect(Array.from(roundToFloat16(once))).toEqual(Array.from(once));
    let worst = 0;
    for (let i = 0; i < values.length; i++) if (Math.abs(values[i]!) >= FLOAT16_MIN_NORMAL) worst = Math.max(worst, Math.abs(once[i]! - values[i]!) / Math.abs(values[i]!));
    expect(worst).toBeGreaterThan(2 ** -13);
    expect(worst).toBeLessThanOrEqual(2 ** -11);
  });
});

describe('isFloat16Exact', () => {
  it.each([
    [[0, 1, -2.5, 65504, 2 ** -24], true],
    [[f32(0.1)], false],
    [[1, 1 + 2 ** -11], false],
    [[70000], false],
    [[], true],
  ])('%j → %s', (values, want) => {
    expect(isFloat16Exact(values)).toBe(want);
  });
});

describe('storage of int8 scales and biases', () => {
  it.each([
    ['scales in the normal range', storedScales, [0.0123, 0.5, 3], true],
    ['a scale below the normal range (would lose precision)', storedScales, [0.01, 1e-6], false],
    ['a scale above 65504', storedScales, [0.01, 1e5], false],
    ['biases, tiny ones included', storedBias, [-0.3, 1e-7, 0, 12.5], true],
    ['a bias that overflows float16', storedBias, [0.1, -70000], false],
  ] as const)('%s: float16 %s', (_, store, values, float16) => {
    const input = Float32Array.from(values);
    const r = store(input);
    expect(r.float16).toBe(float16);
    expect(isFloat16Exact(r.values)).toBe(float16);
    if (!float16) expect(Array.from(r.values)).toEqual(Array.from(input));
    for (let i = 0; i < input.length; i++) {
      expect(Math.abs(r.values[i]! - input[i]!)).toBeLessThanOrEqual(Math.max(Math.abs(input[i]!) * 2 ** -11, 2 ** -25));
    }
  });
});
