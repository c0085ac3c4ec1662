import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerKernels } from '../../kernels/index.js';
import { setInt8Execution } from '../../src/runtime/index.js';
import { reference, setup, type Case } from './layer-cases.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await registerKernels();
});

afterEach(() => setInt8Execution('auto'));

const CASES: Case[] = (['dense', 'conv'] as const).flatMap((layer) => (['dynamic', 'static'] as const)
  .flatMap((mode) => (['cpu', 'wasm'] as const).map((backend) => ({ layer, mode, backend }))));

describe('int8 layers on the int8 kernels', () => {
  it.each(CASES)('$layer $mode on $backend equals the integer reference exactly', async ({ layer, mode, backend }) => {
    await tf.setBackend(backend);
    setInt8Execution('kernel');
    const s = setup({ layer, mode });
    const before = tf.memory().numTensors;
    const y = s.layer.apply(s.xt) as tf.Tensor;
    const got = y.dataSync();
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const want = reference(s, layer === 'dense');
    expect(got.length).toBe(want.length);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(want.some((v) => v > 0)).toBe(true);
    s.layer.dispose();
    s.xt.dispose();
  });

  // Static: the emulation is the kernels' integer arithmetic in float32 (test/runtime/emulate.test.ts), so exact.
  // Dynamic: its scale and zero point come from float32 ops on the device, the kernels' from doubles: close.
  it.each(CASES.filter((c) => c.backend === 'wasm'))('$layer $mode: the float emulation (webgpu fallback) equals it (dynamic: within 1e-4)', async ({ layer, mode }) => {
    await tf.setBackend('wasm');
    const s = setup({ layer, mode });
    setInt8Execution('emulate');
    const emulated = tf.tidy(() => (s.layer.apply(s.xt) as tf.Tensor).dataSync());
    const want = reference(s, layer === 'dense');
    if (mode === 'static') expect(Array.from(emulated)).toEqual(Array.from(want));
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(emulated[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
    expect(worst).toBeLessThan(1e-4);
    s.layer.dispose();
    s.xt.dispose();
  });
});
