import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import '../../src/runtime/index.js';
import { selectBackend } from '../../src/backends/index.js';
import { packInt8, unpackInt8 } from '../../src/core/numerics.js';
import { mulberry32 } from '../../src/core/random.js';
import { GRAPH_INT8_EXECUTORS } from '../../src/runtime/graph-ops.js';
import { setInt8Execution } from '../../src/runtime/index.js';

/**
 * The two paths of each int8 graph op (src/runtime/graph-ops.ts) on the same int8 inputs: the fused int8 kernels
 * (packed codes in and out, what cpu and wasm run) and the composite of tfjs ops (grid values in and out, what webgl
 * and webgpu run), here both on cpu and on wasm. docs/numerics.md makes them one computation, so outputs must be
 * equal bit for bit: float outputs as floats, int8 outputs as codes (compared dequantized). This is the check that
 * keeps WebGL's answers equal to cpu's without a browser (test/browser/int8-backends.test.ts runs the real thing).
 */

const f32 = Math.fround;
const BACKENDS = ['cpu', 'wasm'] as const;

afterEach(() => setInt8Execution('auto'));
afterAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

type Kind = 'conv' | 'depthwise' | 'matmul';
interface Case {
  name: string;
  kind: Kind;
  /** NHWC for conv/depthwise, [M, K] for matmul. */
  x: number[];
  /** As the graph stores it: [fh, fw, in, out], [fh, fw, in, mult], [K, N] or [N, K] with transposeB. */
  filter: number[];
  strides?: number[];
  padding?: 'SAME' | 'VALID';
  activation: 'linear' | 'relu' | 'relu6';
  /** Requantize the output (int8 out) or leave it float. */
  int8Out: boolean;
  transposeB?: boolean;
  /**
   * Input codes at the top of the grid (q - zA = 254 or 255) and full-scale filter codes (|w| = 127) over 1809 or
   * 2001 taps: the accumulators pass 2^25, where float32 no longer holds every integer, so a single float32
   * convolution would round its partial sums (the composite splits the input into two digits; tested to fail without).
   */
  extreme?: boolean;
}

const CASES: Case[] = [
  { name: 'conv 3×3 SAME, relu, int8 out', kind: 'conv', x: [2, 7, 7, 5], filter: [3, 3, 5, 6], strides: [1, 1, 1, 1], padding: 'SAME', activation: 'relu', int8Out: true },
  { name: 'conv 3×3 VALID stride 2, linear, float out', kind: 'conv', x: [2, 8, 8, 3], filter: [3, 3, 3, 7], strides: [1, 2, 2, 1], padding: 'VALID', activation: 'linear', int8Out: false },
  { name: 'conv 1×1, relu6, int8 out', kind: 'conv', x: [3, 4, 4, 16], filter: [1, 1, 16, 8], strides: [1, 1, 1, 1], padding: 'VALID', activation: 'relu6', int8Out: true },
  { name: 'conv with accumulators past 2^24, float out', kind: 'conv', x: [1, 5, 5, 201], filter: [3, 3, 201, 4], strides: [1, 1, 1, 1], padding: 'VALID', activation: 'linear', int8Out: false, extreme: true },
  { name: 'conv with accumulators past 2^24, int8 out', kind: 'conv', x: [1, 5, 5, 201], filter: [3, 3, 201, 4], strides: [1, 1, 1, 1], padding: 'SAME', activation: 'linear', int8Out: true, extreme: true },
  { name: 'depthwise 3×3 SAME mult 2, relu6, int8 out', kind: 'depthwise', x: [2, 6, 6, 5], filter: [3, 3, 5, 2], strides: [1, 1, 1, 1], padding: 'SAME', activation: 'relu6', int8Out: true },
  { name: 'depthwise 3×3 VALID stride 2, linear, float out', kind: 'depthwise', x: [2, 9, 9, 6], filter: [3, 3, 6, 1], strides: [1, 2, 2, 1], padding: 'VALID', activation: 'linear', int8Out: false },
  { name: 'matmul, linear, int8 out', kind: 'matmul', x: [9, 37], filter: [37, 11], activation: 'linear', int8Out: true },
  { name: 'matmul transpose_b, relu, float out', kind: 'matmul', x: [9, 37], filter: [11, 37], transposeB: true, activation: 'relu', int8Out: false },
  { name: 'matmul with accumulators past 2^24, float out', kind: 'matmul', x: [4, 2001], filter: [2001, 5], activation: 'linear', int8Out: false, extreme: true },
];

/** Bit-for-bit comparison (+0 and -0 count as equal: both paths' codes are integers, the sign of zero is not data). */
function mismatches(got: ArrayLike<number>, want: ArrayLike<number>): { length: number; count: number; first?: [number, number, number] } {
  let count = 0;
  let first: [number, number, number] | undefined;
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i]) continue;
    count++;
    first ??= [i, got[i]!, want[i]!];
  }
  return { length: got.length, count, ...(first ? { first } : {}) };
}

function randomCase(c: Case, seed: number) {
  const rand = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const aZeroPoint = c.extreme ? -128 : int(-128, 127);
  const codesIn = Array.from({ length: c.x.reduce((a, b) => a * b) }, () => (c.extreme ? int(126, 127) : int(-128, 127)));
  const filter = Array.from({ length: c.filter.reduce((a, b) => a * b) }, () => (c.extreme ? 127 * (rand() < 0.9 ? 1 : -1) : int(-127, 127)));
  const channels = c.kind === 'depthwise' ? c.filter[2]! * c.filter[3]! : c.kind === 'matmul' && c.transposeB ? c.filter[0]! : c.filter[c.filter.length - 1]!;
  return {
    aScale: f32(0.004 + rand() * 0.03),
    aZeroPoint,
    codesIn,
    filter,
    scales: Float32Array.from({ length: channels }, () => 0.001 + rand() * 0.02),
    bias: Float32Array.from({ length: channels }, () => (rand() - 0.5) * 2),
  };
}

/** Runs one op on its fused (int32 packed input) or composite (float grid values) path; the output as values. */
function run(c: Case, r: ReturnType<typeof randomCase>, path: 'fused' | 'composite', out?: { scale: number; zeroPoint: number }) {
  return tf.tidy(() => {
    const inner = c.x[c.x.length - 1]!;
    const x = path === 'fused'
      ? tf.tensor(packInt8(r.codesIn, { rowLength: inner }), [...c.x.slice(0, -1), Math.ceil(inner / 4)], 'int32')
      : tf.tensor(r.codesIn.map((q) => f32((q - r.aZeroPoint) * r.aScale)), c.x, 'float32');
    const attrs: Record<string, unknown> = { activation: c.activation, a_scale: r.aScale, a_zero_point: r.aZeroPoint };
    if (c.kind === 'matmul') attrs.transpose_b = c.transposeB ?? false;
    else Object.assign(attrs, { strides: c.strides, padding: c.padding });
    if (out) Object.assign(attrs, { out_scale: out.scale, out_zero_point: out.zeroPoint });
    const inputs = [x, tf.tensor(r.filter, c.filter, 'float32'), tf.tensor1d(r.scales), tf.tensor1d(r.bias)];
    const y = GRAPH_INT8_EXECUTORS[c.kind]({ inputs, attrs } as unknown as tf.GraphNode);
    if (path === 'composite' || !out) return y.dataSync() as Float32Array;
    const n = r.scales.length;
    return Float32Array.from(unpackInt8(y.dataSync(), { rowLength: n }), (q) => f32((q - out.zeroPoint) * out.scale));
  });
}

describe.each(BACKENDS)('int8 graph ops on %s: the composite path equals the fused kernels bit for bit', (backend) => {
  it.each(CASES)('$name', async (c) => {
    await selectBackend({ backend });
    expect(tf.getBackend()).toBe(backend);
    for (const seed of [1, 2, 3]) {
      const r = randomCase(c, seed);
      let out: { scale: number; zeroPoint: number } | undefined;
      if (c.int8Out) {
        // The output grid from the float output's range, so codes spread over the whole int8 range (some clamp).
        const y = run(c, r, 'fused');
        const amax = y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        out = { scale: f32(amax / 100), zeroPoint: c.activation === 'linear' ? -7 : -128 };
      }
      const want = run(c, r, 'fused', out);
      const got = run(c, r, 'composite', out);
      expect(mismatches(got, want), `seed ${seed}`).toEqual({ length: want.length, count: 0 });
      if (out) expect(new Set(want).size, 'distinct output codes').toBeGreaterThan(c.extreme ? 2 : 50);
    }
  });

  it.each([
    ['same shape [2, 5, 3, 19], linear, int8 out', [2, 5, 3, 19], [2, 5, 3, 19], 'linear', true],
    ['same shape [16, 24], relu6, int8 out', [16, 24], [16, 24], 'relu6', true],
    ['same shape [3, 4, 4, 8], relu, float out', [3, 4, 4, 8], [3, 4, 4, 8], 'relu', false],
    ['broadcast [2, 4, 4, 12] + [2, 1, 1, 12], int8 out', [2, 4, 4, 12], [2, 1, 1, 12], 'linear', true],
  ] as const)('ShrinkmlAddInt8 %s: the composite path equals the fused kernel bit for bit', async (_, sa, sb, activation, int8Out) => {
    await selectBackend({ backend });
    const rand = mulberry32(17);
    const channels = sa[sa.length - 1]!;
    const codes = (shape: readonly number[]) => Array.from({ length: shape.reduce((a, b) => a * b) }, () => Math.floor(rand() * 256) - 128);
    const [qa, qb] = [codes(sa), codes(sb)];
    const a = { scale: f32(0.031), zeroPoint: -9 }, b = { scale: f32(0.017), zeroPoint: 40 };
    const out = { scale: f32(0.04), zeroPoint: 5 };
    const attrs = { activation, channels, a_scale: a.scale, a_zero_point: a.zeroPoint, b_scale: b.scale, b_zero_point: b.zeroPoint,
      ...(int8Out ? { out_scale: out.scale, out_zero_point: out.zeroPoint } : {}) };
    const values = (path: 'fused' | 'composite') => tf.tidy(() => {
      const input = (q: number[], shape: readonly number[], g: { scale: number; zeroPoint: number }) => (path === 'fused'
        ? tf.tensor(packInt8(q, { rowLength: channels }), [...shape.slice(0, -1), Math.ceil(channels / 4)], 'int32')
        : tf.tensor(q.map((v) => f32((v - g.zeroPoint) * g.scale)), [...shape], 'float32'));
      const y = GRAPH_INT8_EXECUTORS.add({ inputs: [input(qa, sa, a), input(qb, sb, b)], attrs } as unknown as tf.GraphNode);
      if (path === 'composite' || !int8Out) return y.dataSync() as Float32Array;
      return Float32Array.from(unpackInt8(y.dataSync(), { rowLength: channels }), (q) => f32((q - out.zeroPoint) * out.scale));
    });
    const want = values('fused');
    expect(want.length).toBe(qa.length);
    expect(mismatches(values('composite'), want)).toEqual({ length: want.length, count: 0 });
    if (int8Out) expect(new Set(want).size, 'distinct output codes').toBeGreaterThan(50);
  });

  it.each([
    ['avg 7×7 VALID global (MobileNetV2 head), 1280 channels', 'avg', [2, 7, 7, 1280], [1, 7, 7, 1], [1, 1, 1, 1], 'VALID'],
    ['avg 2×2 stride 2 VALID, 10 channels (pad bytes), exact .5 ties', 'avg', [2, 6, 6, 10], [1, 2, 2, 1], [1, 2, 2, 1], 'VALID'],
    ['avg 3×3 stride 2 SAME (edge windows count in-image taps)', 'avg', [1, 7, 5, 6], [1, 3, 3, 1], [1, 2, 2, 1], 'SAME'],
    ['max 2×2 stride 2 VALID, 6 channels', 'max', [2, 8, 8, 6], [1, 2, 2, 1], [1, 2, 2, 1], 'VALID'],
    ['max 3×3 stride 1 SAME', 'max', [1, 5, 5, 8], [1, 3, 3, 1], [1, 1, 1, 1], 'SAME'],
  ] as const)('ShrinkmlPoolInt8 %s: the composite path equals the fused kernel bit for bit, output on the input grid', async (_, pooling, shape, ksize, strides, padding) => {
    await selectBackend({ backend });
    const rand = mulberry32(23);
    const channels = shape[3];
    const q = Array.from({ length: shape.reduce((a, b) => a * b) }, () => Math.floor(rand() * 256) - 128);
    const g = { scale: f32(0.023), zeroPoint: 7 };
    const attrs = { pooling, ksize, strides, padding, a_scale: g.scale, a_zero_point: g.zeroPoint };
    const values = (path: 'fused' | 'composite') => tf.tidy(() => {
      const x = path === 'fused'
        ? tf.tensor(packInt8(q, { rowLength: channels }), [...shape.slice(0, -1), Math.ceil(channels / 4)], 'int32')
        : tf.tensor(q.map((v) => f32((v - g.zeroPoint) * g.scale)), [...shape], 'float32');
      const y = GRAPH_INT8_EXECUTORS.pool({ inputs: [x], attrs } as unknown as tf.GraphNode);
      if (path === 'composite') return y.dataSync() as Float32Array;
      expect(y.dtype).toBe('int32');
      return Float32Array.from(unpackInt8(y.dataSync(), { rowLength: channels }), (c) => f32((c - g.zeroPoint) * g.scale));
    });
    const want = values('fused');
    expect(mismatches(values('composite'), want)).toEqual({ length: want.length, count: 0 });
    if (pooling === 'avg' && ksize[1] === 2) {
      // Four taps: Σq ≡ 2 (mod 4) is an exact tie, which goes to the even code.
      const [n0, h0, w0] = [0, 0, 0];
      const at = (h: number, w: number, c: number) => q[((n0 * shape[1] + h) * shape[2] + w) * channels + c]!;
      for (let c = 0; c < channels; c++) {
        const sum = at(h0, w0, c) + at(h0, w0 + 1, c) + at(h0 + 1, w0, c) + at(h0 + 1, w0 + 1, c);
        const code = Math.round(want[c]! / g.scale) + g.zeroPoint;
        const r = sum / 4;
        expect(code, `channel ${c}, sum ${sum}`).toBe(Math.abs(r - Math.trunc(r)) === 0.5 ? 2 * Math.round(r / 2) : Math.round(r));
      }
    }
  });

  it('ShrinkmlQuantizeInt8: same codes on both paths, ties to even, NaN to the zero point, ±Infinity clamped', async () => {
    await selectBackend({ backend });
    const rand = mulberry32(11);
    for (const { scale, zeroPoint } of [{ scale: 0.25, zeroPoint: 3 }, { scale: f32(0.0173), zeroPoint: -20 }]) {
      // Exact ties (k + 0.5) · scale (exact for scale 0.25), random values past both ends of the grid, and the specials.
      const values = [
        ...Array.from({ length: 60 }, (_, i) => (i - 30 + 0.5) * scale),
        ...Array.from({ length: 200 }, () => (rand() - 0.5) * 300 * scale),
        NaN, Infinity, -Infinity, -0, 0,
      ];
      const x = new Float32Array(values.length + (4 - (values.length % 4)) % 4);
      x.set(values);
      const shape = [x.length / 4, 4];
      const node = (t: tf.Tensor) => ({ inputs: [t], attrs: { scale, zero_point: zeroPoint } }) as unknown as tf.GraphNode;
      const want = tf.tidy(() => {
        const q = GRAPH_INT8_EXECUTORS.quantize(node(tf.tensor(x, shape)));
        expect(q.dtype).toBe('int32');
        return Float32Array.from(unpackInt8(q.dataSync(), { rowLength: 4 }), (c) => f32((c - zeroPoint) * scale));
      });
      setInt8Execution('emulate');
      const got = tf.tidy(() => GRAPH_INT8_EXECUTORS.quantize(node(tf.tensor(x, shape))).dataSync() as Float32Array);
      setInt8Execution('auto');
      expect(mismatches(got, want), `scale ${scale}`).toEqual({ length: want.length, count: 0 });
      // The kernels' codes are numerics.md's: spot-check the specials and one tie on each side of zero.
      const code = (i: number) => Math.round(want[i]! / scale) + zeroPoint;
      expect([code(values.length - 5), code(values.length - 4), code(values.length - 3)]).toEqual([zeroPoint, 127, -128]);
      if (scale === 0.25) expect([code(30), code(29), code(31)]).toEqual([zeroPoint, zeroPoint, zeroPoint + 2]);
    }
  });
});
