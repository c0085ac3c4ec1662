import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { defaultProbes, selectBackend } from '../../src/backends/index.js';

/**
 * Real tf ops through Dawn (SwiftShader in CI). Mandatory when CI is set: a missing adapter fails the run there.
 * Elsewhere it is skipped with a loud notice, so a laptop without Vulkan can still run the suite.
 */
const adapter = await defaultProbes.webgpuAdapter();
const available = typeof adapter !== 'string';
if (!available && !process.env.CI) {
  console.warn(`\n!!! WebGPU tests SKIPPED: ${adapter}\n!!! (they are mandatory when CI is set)\n`);
}

describe('WebGPU through Dawn', () => {
  it('has an adapter when CI is set', () => {
    if (process.env.CI) expect(adapter).not.toBeTypeOf('string');
  });

  it.skipIf(!available && !process.env.CI)('runs matMul, conv2d and softmax like the cpu backend', async () => {
    const choice = await selectBackend({ backend: 'webgpu' });
    expect(choice.backend).toBe('webgpu');
    // Inputs are created inside each run: reading a webgpu tensor synchronously from cpu is not possible in Node.
    const run = () => tf.tidy(() => {
      const a = tf.tensor2d(Array.from({ length: 48 }, (_, i) => Math.sin(i)), [6, 8]);
      const b = tf.tensor2d(Array.from({ length: 40 }, (_, i) => Math.cos(i)), [8, 5]);
      const img = tf.tensor4d(Array.from({ length: 2 * 7 * 7 * 3 }, (_, i) => ((i * 37) % 11) / 11), [2, 7, 7, 3]);
      const filt = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => ((i * 13) % 7) / 7 - 0.5), [3, 3, 3, 4]);
      return [tf.matMul(a, b), tf.conv2d(img, filt, 1, 'same'), tf.softmax(tf.matMul(a, b))];
    });
    const gpu = await Promise.all(run().map((t) => t.data()));
    await tf.setBackend('cpu');
    const cpu = await Promise.all(run().map((t) => t.data()));
    for (let k = 0; k < gpu.length; k++) {
      expect(gpu[k].length).toBe(cpu[k].length);
      for (let i = 0; i < cpu[k].length; i++) expect(gpu[k][i]).toBeCloseTo(cpu[k][i], 4);
    }
  });
});
