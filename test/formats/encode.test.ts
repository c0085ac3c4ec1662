import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { affineQuantize, encodeWeights, splitShards, toFloat16 } from '../../src/formats/encode.js';
import { checkWeightPath, parseModelJson, weightRanges, type ManifestEntry } from '../../src/formats/manifest.js';
import { checkSizeLimits } from '../../src/formats/validate.js';

beforeAll(() => tf.setBackend('cpu'));

/** Decode with tfjs itself, the semantics every loader of our files uses. */
function decode(entry: ManifestEntry, bytes: Uint8Array): number[] {
  const tensors = tf.io.decodeWeights(bytes.slice().buffer, [entry]);
  const values = Array.from(tensors[entry.name].dataSync());
  tf.dispose(Object.values(tensors));
  return values;
}

describe('toFloat16', () => {
  it.each([
    [0, 0], [1, 1], [-2.5, -2.5], [65504, 65504], [65520, Infinity], [-1e6, -Infinity],
    [1 + 2 ** -11, 1], // halfway: ties to even (down)
    [1 + 3 * 2 ** -11, 1 + 2 ** -9], // halfway: ties to even (up)
    [2 ** -24, 2 ** -24], // smallest subnormal
    [2 ** -26, 0], // below half the smallest subnormal
    [3 * 2 ** -25, 2 ** -23], // subnormal halfway, ties to even
    [6.103515625e-5, 6.103515625e-5], // smallest normal
    [0.1, 0.0999755859375],
    [Infinity, Infinity], [NaN, NaN],
  ])('%d → %d via tf.io.decodeWeights', (input, expected) => {
    const halves = toFloat16(new Float32Array([input]));
    const [got] = decode({ name: 'w', shape: [1], dtype: 'float32', quantization: { dtype: 'float16' } }, new Uint8Array(halves.buffer));
    expect(got).toBe(expected);
  });
});

describe('affineQuantize', () => {
  it.each([
    ['mixed signs', [-1, -0.3, 0, 0.2, 0.9], 255],
    ['all positive', [10, 10.5, 11], 255],
    ['all negative', [-3, -2, -1.5], 65535],
    ['constant', [0.7, 0.7], 255],
    ['zeros', [0, 0, 0], 255],
  ] as const)('%s: zero stays exact, error ≤ scale/2', (_, input, qmax) => {
    const values = new Float32Array(input);
    const { q, scale, min } = affineQuantize(values, qmax);
    const dtype = qmax === 255 ? 'uint8' : 'uint16';
    const decoded = decode({ name: 'w', shape: [values.length], dtype: 'float32', quantization: { dtype, scale, min } }, new Uint8Array(q.buffer));
    values.forEach((v, i) => {
      expect(Math.abs(decoded[i] - v)).toBeLessThanOrEqual(scale / 2 + 1e-6);
      if (v === 0) expect(decoded[i]).toBe(0);
    });
  });
});

describe('encodeWeights', () => {
  const entries: ManifestEntry[] = [
    { name: 'a', shape: [2, 2], dtype: 'float32' },
    { name: 'steps', shape: [1], dtype: 'int32' },
    { name: 'b', shape: [3], dtype: 'float32' },
  ];
  const raw = () => {
    const buffer = new ArrayBuffer(32);
    new Float32Array(buffer, 0, 4).set([0.5, -0.25, 0, 1]);
    new Int32Array(buffer, 16, 1).set([7]);
    new Float32Array(buffer, 20, 3).set([3, -3, 0.125]);
    return buffer;
  };

  it('encodes chosen weights and keeps the rest as they were', () => {
    const out = encodeWeights({ entries, data: raw(), encodings: { a: 'float16', b: 'uint8' } });
    expect(out.entries.map((e) => e.quantization?.dtype ?? e.dtype)).toEqual(['float16', 'int32', 'uint8']);
    expect(out.data.byteLength).toBe(4 * 2 + 4 + 3);
    const decoded = tf.io.decodeWeights(out.data.slice().buffer, out.entries);
    expect(Array.from(decoded.a.dataSync())).toEqual([0.5, -0.25, 0, 1]);
    expect(Array.from(decoded.steps.dataSync())).toEqual([7]);
    Array.from(decoded.b.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([3, -3, 0.125][i], 1));
    tf.dispose(Object.values(decoded));
  });

  it.each([
    [{ steps: 'uint8' }, /weight 'steps' is int32; only float32 weights can be stored as uint8/],
    [{ a: 'int3' }, /weight 'a': unknown weight encoding 'int3'/],
  ] as const)('rejects %j', (encodings, message) => {
    expect(() => encodeWeights({ entries, data: raw(), encodings: encodings as never })).toThrow(message);
  });

  it('refuses to quantize non-finite values', () => {
    const data = raw();
    new Float32Array(data, 0, 1)[0] = NaN;
    expect(() => encodeWeights({ entries, data, encodings: () => 'float16' })).toThrow(ShrinkmlError);
  });
});

describe('manifest helpers', () => {
  it('splitShards cuts at the shard size', () => {
    expect(splitShards(new Uint8Array(10), 4).map((s) => s.byteLength)).toEqual([4, 4, 2]);
    expect(splitShards(new Uint8Array(10)).map((s) => s.byteLength)).toEqual([10]);
    expect(() => splitShards(new Uint8Array(10), 0)).toThrow(/shard size 0/);
  });

  it.each([
    ['group1-shard1of1.bin', true], ['sub/dir/w.bin', true], ['..', false], ['a/../../b', false], ['/abs', false],
    ['C:\\w.bin', false], ['\\\\server\\w', false], ['http://example.com/w.bin', false], ['', false], ['a\0b', false],
  ])('weight path %j allowed: %s', (p, ok) => {
    const check = () => checkWeightPath(p, 'model.json');
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(ShrinkmlError);
  });

  it('weightRanges measures length-prefixed string weights from the data', () => {
    const data = new Uint8Array([2, 0, 0, 0, 104, 105, 1, 0, 0, 0, 33, 9, 9, 9, 9]);
    const ranges = weightRanges([
      { name: 's', shape: [2], dtype: 'string' },
      { name: 'x', shape: [1], dtype: 'float32' },
    ], data.buffer, 'model.json');
    expect(ranges.map((r) => [r.start, r.end])).toEqual([[0, 11], [11, 15]]);
  });

  it('parseModelJson rejects a weight listed twice', () => {
    const json = { modelTopology: {}, weightsManifest: [{ paths: ['a.bin'], weights: [
      { name: 'w', shape: [1], dtype: 'float32' }, { name: 'w', shape: [1], dtype: 'float32' },
    ] }] };
    expect(() => parseModelJson(JSON.stringify(json), 'm.json')).toThrow("m.json: weight 'w' is listed twice");
  });

  it('checkSizeLimits enforces the total as well as the per-tensor limit', () => {
    const groups = [{ paths: ['a.bin'], weights: [
      { name: 'a', shape: [10, 10], dtype: 'float32' as const }, { name: 'b', shape: [100], dtype: 'float32' as const },
    ] }];
    expect(() => checkSizeLimits(groups, 'm.json', { maxTotalBytes: 799 })).toThrow('m.json: weights declare 800 bytes in total, over the limit of 799');
    expect(() => checkSizeLimits(groups, 'm.json', { maxElementsPerTensor: 99 })).toThrow(/weight 'a' declares shape \[10, 10\] \(100 elements\)/);
    expect(() => checkSizeLimits(groups, 'm.json', { maxTotalBytes: 800, maxElementsPerTensor: 100 })).not.toThrow();
  });
});
