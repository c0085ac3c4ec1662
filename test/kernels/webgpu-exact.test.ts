// The exact-arithmetic WGSL helpers against JS: correctly rounded division and i32 → f32 conversion.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seeded } from '../../kernels/testing-data.js';
import { i32, makeProgram, runProgram } from '../../kernels/webgpu/program.js';
import type { WebGPUBackendLike } from '../../kernels/webgpu/types.js';
import { EXACT_SNIPPET } from '../../kernels/webgpu/wgsl.js';
import { nudge } from '../../kernels/quantize-int8/cases.js';
import { activateWebGPU, mismatches, probeWebGPU, takeGpuErrors } from './webgpu-helpers.js';

const { skip } = await probeWebGPU();

beforeAll(async () => {
  if (!skip) await activateWebGPU();
});

/** Runs `expr` (over x[index], y[index]) for every index on the GPU. */
async function gpu(expr: string, x: tf.Tensor1D, y: tf.Tensor1D, dtype: 'float32' | 'int32'): Promise<ArrayLike<number>> {
  const n = x.size;
  const program = makeProgram({
    name: 'test-exact', variant: expr.replace(/\W+/g, '_'), inputs: ['x', 'y'], outputShape: [n],
    workgroupSize: [64, 1, 1], dispatch: [Math.ceil(n / 64), 1, 1], flat: true, uniforms: 'count : i32,',
    // Every binding must be used: the pipeline layout is 'auto' and tfjs binds all inputs and the uniforms.
    code: `${EXACT_SNIPPET}\nfn main(index : i32) { if (index < uniforms.count) { let unusedY = y[index]; result[index] = ${expr}; } }`,
  });
  const info = runProgram(tf.backend() as unknown as WebGPUBackendLike, program, [x, y], dtype, [i32(n)]);
  const out = tf.engine().makeTensorFromTensorInfo(info);
  const values = await out.data();
  out.dispose();
  expect(takeGpuErrors()).toEqual([]);
  return values;
}

describe.skipIf(skip)('exact WGSL arithmetic', () => {
  it('sm_div_rne is the correctly rounded float32 quotient (random exponents, near-ties, exact quotients)', async () => {
    const rand = seeded(31);
    const xs: number[] = [], ys: number[] = [];
    for (let i = 0; i < 3000; i++) {
      ys.push(Math.fround((0.5 + rand()) * 2 ** Math.floor(rand() * 40 - 30)));
      xs.push(Math.fround((rand() * 2 - 1) * 2 ** Math.floor(rand() * 40 - 20)));
    }
    for (const s of [0.1, 0.0173, 0.3, 1 / 3, 0.007]) {
      for (let n = -40; n < 40; n++) {
        const t = Math.fround((n + 0.5) * Math.fround(s));
        for (let u = -2; u <= 2; u++) { xs.push(nudge(t, u)); ys.push(Math.fround(s)); }
      }
    }
    xs.push(6, -6, 1, 0, -0, 3, 7.5); ys.push(3, 3, 1, 2, 2, 0.75, 0.25);
    const x = tf.tensor1d(xs), y = tf.tensor1d(ys);
    const got = await gpu('sm_div_rne(x[index], y[index])', x, y, 'float32');
    tf.dispose([x, y]);
    const want = xs.map((v, i) => {
      const q = Math.fround(v / ys[i]!);
      return Math.abs(q) < 2 ** -126 ? (q < 0 || Object.is(q, -0) ? -0 : 0) : q; // below normal range: signed zero
    });
    expect(mismatches(got, want)).toEqual([]);
  });

  it('sm_i32_to_f32 rounds to nearest even above 2^24', async () => {
    const vs = [0, 1, -1, 16777216, 16777217, 16777219, -16777217, -16777219, 33554435, 2147483647, -2147483648,
      2147483520, 2147483584, 2147483583, 123456789, -987654321, 0x7fffffc0];
    const rand = seeded(5);
    for (let i = 0; i < 500; i++) vs.push(Math.floor((rand() * 2 - 1) * 2 ** 31));
    const x = tf.tensor1d(vs, 'int32'), y = tf.tensor1d(vs, 'int32');
    const got = await gpu('sm_i32_to_f32(x[index])', x, y, 'float32');
    tf.dispose([x, y]);
    expect(mismatches(got, vs.map(Math.fround))).toEqual([]);
  });
});
