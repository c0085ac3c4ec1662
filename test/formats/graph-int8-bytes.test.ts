import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromFloat16, toFloat16 } from '../../src/formats/encode.js';
import { readGraphFiles, rewriteGraph } from '../../src/formats/graph/index.js';
import { encodeGraphWeight } from '../../src/formats/graph/quantize.js';
import { quantizeGroups } from '../../src/formats/graph/scales.js';
import type { WeightRole } from '../../src/formats/graph/roles.js';
import type { GraphWeight } from '../../src/formats/graph/weights.js';
import type { ManifestEntry } from '../../src/formats/manifest.js';

/**
 * Where weights:int8's bytes go (docs/graph-models.md "weights:int8"): one byte per kernel weight, two per channel
 * scale (float16, subnormal ones too), two per other float (float16) — or one where the values lie on a uint8 grid.
 * Every stored entry is decoded here by stock tf.io.decodeWeights, as tf.loadGraphModel does.
 */
const OTHER: WeightRole = { kind: 'other', channelAxes: [], reduceAxes: [], readers: [] };
const CONV: WeightRole = { kind: 'conv', channelAxes: [3], reduceAxes: [0, 1, 2], readers: [] };

function weight(name: string, shape: number[], values: Float32Array, entry?: Partial<ManifestEntry>, raw?: Uint8Array): GraphWeight {
  const e = { name, shape, dtype: 'float32', ...entry } as ManifestEntry;
  return { name, shape, dtype: 'float32', stored: e.quantization?.dtype ?? 'float32', values, entry: e, raw: raw ?? new Uint8Array(values.buffer) };
}

/** The values stock tfjs decodes from an encoded weight's single part. */
function stockDecode(part: { entry: ManifestEntry; bytes: Uint8Array }): Float32Array {
  const t = tf.io.decodeWeights(part.bytes.slice().buffer, [part.entry as tf.io.WeightsManifestEntry])[part.entry.name]!;
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

const entryBytes = (e: ManifestEntry) => e.shape.reduce((a, b) => a * b, 1) * (({ uint8: 1, float16: 2 } as Record<string, number>)[e.quantization?.dtype ?? ''] ?? 4);

describe('weights:int8 byte layout', () => {
  it('a channel whose scale is below float16\'s normal range still gets a float16 scale, and the error stays within 2% of float32 scales', () => {
    // Channel 0 ordinary, channel 1 tiny (max |w| 0.002: scale 1.6e-5 < 2^-14), as in MoveNet's expand kernels.
    const n = 64;
    const values = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 12.9898) * (i < n ? 0.4 : 0.002));
    const groupOf = (i: number) => (i < n ? 0 : 1);
    const q = quantizeGroups({ values, groupOf, groups: 2, qmax: 127 });
    expect(q.float16).toBe(true);
    expect(q.scales[1]!).toBeLessThan(2 ** -14);
    expect(Array.from(fromFloat16(toFloat16(q.scales)))).toEqual(Array.from(q.scales));
    for (let i = 0; i < values.length; i++) expect(q.decoded[i]).toBe(Math.fround(q.codes[i]! * q.scales[groupOf(i)]!));
    // The same search with float32 scales (a factor that forces them: every group's scale above float16's range).
    const wide = quantizeGroups({ values: values.map((v) => v * 2 ** 26), groupOf, groups: 2, qmax: 127 });
    expect(wide.float16).toBe(false);
    const tinyError = (d: Float32Array, k: number) => { let e = 0; for (let i = n; i < 2 * n; i++) e += (d[i]! / k - values[i]!) ** 2; return e; };
    expect(tinyError(q.decoded, 1)).toBeLessThanOrEqual(1.02 * tinyError(wide.decoded, 2 ** 26));
  });

  it('a float tensor on a uint8 grid (an index map) is stored as uint8 and decodes bit-exactly; other floats as float16', () => {
    const grid = Float32Array.from({ length: 48 * 48 }, (_, i) => i % 48);
    const gridOut = encodeGraphWeight({ weight: weight('grid', [48, 48, 1], grid), role: OTHER, mode: 'int8' });
    expect(gridOut.parts[0]!.entry.quantization?.dtype).toBe('uint8');
    expect(gridOut.parts[0]!.bytes.byteLength).toBe(48 * 48);
    expect(Array.from(stockDecode(gridOut.parts[0]!))).toEqual(Array.from(grid));

    const halfGrid = Float32Array.from({ length: 40 }, (_, i) => -1.5 + 0.25 * (i % 13));
    expect(Array.from(stockDecode(encodeGraphWeight({ weight: weight('g2', [40], halfGrid), role: OTHER, mode: 'int4' }).parts[0]!))).toEqual(Array.from(halfGrid));

    const bias = Float32Array.from({ length: 300 }, (_, i) => Math.fround(Math.cos(i) * 0.1));
    const biasOut = encodeGraphWeight({ weight: weight('bias', [300], bias), role: OTHER, mode: 'int8' });
    expect(biasOut.parts[0]!.entry.quantization?.dtype).toBe('float16');
  });

  it.each([
    ['float16', (v: Float32Array) => ({ entry: { quantization: { dtype: 'float16' as const } }, raw: new Uint8Array(toFloat16(v).buffer), values: fromFloat16(toFloat16(v)) })],
    ['uint8', (v: Float32Array) => {
      const min = -0.2, scale = 0.4 / 255;
      const codes = Uint8Array.from(v, (x) => Math.round((x - min) / scale));
      return { entry: { quantization: { dtype: 'uint8' as const, scale, min } }, raw: codes, values: Float32Array.from(codes, (c) => c * scale + min) };
    }],
  ])('a bias shipped as %s is written back bit-identical (never widened)', (_dtype, ship) => {
    const s = ship(Float32Array.from({ length: 96 }, (_, i) => Math.sin(i) * 0.2));
    const out = encodeGraphWeight({ weight: weight('b', [96], s.values, s.entry, s.raw), role: OTHER, mode: 'int8' });
    expect(out.parts[0]!.entry.quantization).toEqual(s.entry.quantization);
    expect(Array.from(out.parts[0]!.bytes)).toEqual(Array.from(s.raw));
    expect(Array.from(stockDecode(out.parts[0]!))).toEqual(Array.from(s.values));
  });

  it('a kernel: one byte per weight, float16 scales, decoded by the stock loader to codes × scales', () => {
    const values = Float32Array.from({ length: 3 * 3 * 4 * 8 }, (_, i) => Math.sin(i * 7.1) * (i % 8 === 5 ? 0.001 : 0.3));
    const out = encodeGraphWeight({ weight: weight('k', [3, 3, 4, 8], values), role: CONV, mode: 'int8' });
    const [codes, scales] = out.parts;
    expect(codes!.bytes.byteLength).toBe(values.length);
    expect(scales!.entry.quantization?.dtype).toBe('float16');
    const c = stockDecode(codes!), s = stockDecode(scales!);
    for (let i = 0; i < values.length; i++) expect(Math.fround(c[i]! * s[i % 8]!)).toBe(out.values![i]);
  });

  it('human emotion (committed fixture): bytes by kind, ratio ≥ 3.9', async () => {
    const graph = await readGraphFiles(path.resolve('test/fixtures/real/emotion/emotion.json'));
    const g = rewriteGraph({ json: graph.json, weights: graph.weights, roles: graph.roles, mode: 'int8', file: graph.file });
    const kinds = new Map<string, number>();
    for (const e of g.json.weightsManifest[0]!.weights) {
      const kind = e.name.endsWith('/shrinkml_q') ? 'codes' : e.name.endsWith('/shrinkml_scale') ? `scales ${e.quantization?.dtype ?? e.dtype}` : `other ${e.quantization?.dtype ?? e.dtype}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + entryBytes(e));
    }
    const kernels = g.rows.filter((r) => r.role !== 'other');
    const channels = kernels.reduce((n, r) => n + graph.roles.get(r.name)!.channelAxes.reduce((c, a) => c * r.shape[a]!, 1), 0);
    expect(Object.fromEntries(kinds)).toEqual({
      codes: kernels.reduce((n, r) => n + r.params, 0),
      'scales float16': 2 * channels,
      'other float16': 2510,
      'other int32': 8,
    });
    expect([...kinds.values()].reduce((a, b) => a + b, 0)).toBe(g.data.byteLength);
    const fp32 = graph.weights.reduce((n, w) => n + (w.dtype === 'float32' ? w.values!.length * 4 : 0), 0);
    expect(fp32 / g.data.byteLength).toBeGreaterThanOrEqual(3.9);
  });
});
