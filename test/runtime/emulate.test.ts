import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import '../../src/runtime/index.js';
import { selectBackend } from '../../src/backends/index.js';
import { packInt8 } from '../../src/core/numerics.js';
import { mulberry32 } from '../../src/core/random.js';
import { predictInt8, setInt8Execution } from '../../src/runtime/index.js';
import { conv2dInt8Op, denseInt8, type Int8Weights } from '../../src/runtime/ops.js';
import { stockLoad } from '../quantize/io.js';

/**
 * The int8 Layers' emulated path (src/runtime/emulate.ts: float32 tfjs ops, what webgl and webgpu run) against the
 * int8 kernels (MatMulInt8 / Conv2DInt8, what cpu and wasm run) on the same inputs, both here on cpu and on wasm.
 * docs/numerics.md makes them one computation, so outputs must be equal bit for bit; a float sum of dequantized
 * values (the path before this one) is a few ulp off, which moves a y near a half-step of the next layer's grid by
 * one code (test/browser/int8-backends.test.ts runs the real webgl and webgpu).
 */

const f32 = Math.fround;
const BACKENDS = ['cpu', 'wasm'] as const;
const FIXTURE = new URL('./fixtures/int8-format1/static-cnn', import.meta.url).pathname;

afterEach(() => setInt8Execution('auto'));
afterAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

interface Case {
  name: string;
  layer: 'dense' | 'conv';
  /** [M, K] for dense, NHWC for conv. */
  x: number[];
  /** Dense: N. Conv: [fh, fw, out] (in is x's last axis). */
  out: number | [number, number, number];
  strides?: [number, number];
  padding?: 'same' | 'valid';
  /** Per-channel weight zero points (asymmetric Dense). */
  zeroPoints?: boolean;
  bias?: boolean;
  /** Inputs exactly on half-steps of the input grid (ties to even) and the specials NaN, ±Infinity. */
  ties?: boolean;
  /** Input codes at the top of the grid, |w| = 127 over 2001 or 1809 taps: accumulators past 2^25 (the digit split). */
  extreme?: boolean;
}

const CASES: Case[] = [
  { name: 'dense, bias', layer: 'dense', x: [9, 37], out: 11, bias: true },
  { name: 'dense, no bias, weight zero points', layer: 'dense', x: [9, 37], out: 11, zeroPoints: true },
  { name: 'dense, inputs on half-steps and NaN, ±Infinity', layer: 'dense', x: [8, 24], out: 7, bias: true, ties: true },
  { name: 'dense 784 → 100 (MNIST-sized)', layer: 'dense', x: [4, 784], out: 100, bias: true },
  { name: 'dense with accumulators past 2^24', layer: 'dense', x: [4, 2001], out: 5, bias: true, extreme: true },
  { name: 'conv 3×3 same, bias', layer: 'conv', x: [2, 7, 7, 5], out: [3, 3, 6], padding: 'same', bias: true },
  { name: 'conv 3×3 valid stride 2, no bias', layer: 'conv', x: [2, 8, 8, 3], out: [3, 3, 7], strides: [2, 2] },
  { name: 'conv 3×3, inputs on half-steps', layer: 'conv', x: [1, 6, 6, 4], out: [3, 3, 5], padding: 'same', bias: true, ties: true },
  { name: 'conv with accumulators past 2^24', layer: 'conv', x: [1, 5, 5, 201], out: [3, 3, 4], padding: 'same', bias: true, extreme: true },
];

function randomCase(c: Case, seed: number) {
  const rand = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const k = c.layer === 'dense' ? c.x[1]! : (c.out as number[])[0]! * (c.out as number[])[1]! * c.x[3]!;
  const n = c.layer === 'dense' ? (c.out as number) : (c.out as number[])[2]!;
  const quant = { scale: c.ties ? 0.25 : f32(0.004 + rand() * 0.03), zeroPoint: c.extreme ? -128 : int(-60, 60) };
  const size = c.x.reduce((a, b) => a * b);
  const x = Float32Array.from({ length: size }, (_, i) => {
    if (c.extreme) return (int(126, 127) - quant.zeroPoint) * quant.scale;
    if (c.ties) return i < 3 ? [NaN, Infinity, -Infinity][i]! : (int(-140, 140) + 0.5) * quant.scale;
    return (rand() - 0.5) * 300 * quant.scale;
  });
  // Rows [N, K], one per output channel, in the Dense kernel's [in, out] transposed and the conv filter's
  // [fh, fw, in, out] flattened (the layers' packed layout).
  const codes = Array.from({ length: n * k }, () => (c.extreme ? 127 * (rand() < 0.9 ? 1 : -1) : int(c.zeroPoints ? -128 : -127, 127)));
  return {
    k, n, quant, x,
    packed: packInt8(codes, { rowLength: k }),
    scale: Float32Array.from({ length: n }, () => 0.001 + rand() * 0.02),
    zeroPoint: c.zeroPoints ? Int32Array.from({ length: n }, () => int(-20, 20)) : undefined,
    bias: c.bias ? Float32Array.from({ length: n }, () => (rand() - 0.5) * 2) : undefined,
  };
}

function run(c: Case, r: ReturnType<typeof randomCase>, execution: 'kernel' | 'emulate'): Float32Array {
  setInt8Execution(execution);
  return tf.tidy(() => {
    const w: Int8Weights = {
      packed: tf.tensor2d(r.packed, [r.n, Math.ceil(r.k / 4)], 'int32'), k: r.k, scale: tf.tensor1d(r.scale),
      zeroPoint: r.zeroPoint && tf.tensor1d(r.zeroPoint, 'int32'), bias: r.bias && tf.tensor1d(r.bias),
    };
    const x = tf.tensor(r.x, c.x);
    if (c.layer === 'dense') return denseInt8(x as tf.Tensor2D, w, r.quant).dataSync() as Float32Array;
    const [fh, fw, co] = c.out as number[];
    return conv2dInt8Op(x as tf.Tensor4D, w, {
      filterShape: [fh!, fw!, c.x[3]!, co!], strides: c.strides ?? [1, 1], padding: c.padding ?? 'valid',
    }, r.quant).dataSync() as Float32Array;
  });
}

/** Bit-for-bit comparison: the count of differing outputs and the first (Object.is: -0 and +0 differ too). */
function mismatches(got: ArrayLike<number>, want: ArrayLike<number>): { length: number; count: number; first?: [number, number, number] } {
  let count = 0;
  let first: [number, number, number] | undefined;
  for (let i = 0; i < want.length; i++) {
    if (Object.is(got[i], want[i])) continue;
    count++;
    first ??= [i, got[i]!, want[i]!];
  }
  return { length: got.length, count, ...(first ? { first } : {}) };
}

describe.each(BACKENDS)('int8 Layers on %s: the emulated path equals the int8 kernels bit for bit', (backend) => {
  it.each(CASES)('$name', async (c) => {
    await selectBackend({ backend });
    expect(tf.getBackend()).toBe(backend);
    for (const seed of [1, 2, 3]) {
      const r = randomCase(c, seed);
      const want = run(c, r, 'kernel');
      expect(new Set(want).size, 'distinct outputs').toBeGreaterThan(c.extreme ? 2 : 20);
      if (c.extreme) expect(Math.max(...want.map(Math.abs)) / (r.quant.scale * Math.max(...r.scale)), 'accumulator').toBeGreaterThan(2 ** 24);
      expect(mismatches(run(c, r, 'emulate'), want), `seed ${seed}`).toEqual({ length: want.length, count: 0 });
    }
  });

  it('a static int8 CNN: the emulated model equals the fused int8 path, every output', async () => {
    await selectBackend({ backend });
    const { model } = await stockLoad(FIXTURE);
    const shape = (model.inputs[0]!.shape as number[]).slice(1);
    const rand = mulberry32(5);
    const x = tf.tensor(Float32Array.from({ length: 16 * shape.reduce((a, b) => a * b) }, () => rand()), [16, ...shape]);
    const fused = tf.tidy(() => (predictInt8(model, x) as tf.Tensor).dataSync());
    setInt8Execution('emulate');
    const emulated = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    expect(mismatches(emulated, fused)).toEqual({ length: fused.length, count: 0 });
    x.dispose();
    model.dispose();
  });
});
