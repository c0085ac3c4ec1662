import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { registerKernels } from '../../kernels/index.js';
import { defaultProbes, selectBackend } from '../../src/backends/index.js';
import { int8KernelReady } from '../../src/runtime/index.js';
import { reference, setup } from './layer-cases.js';

/**
 * The int8 layers on WebGPU through Dawn (SwiftShader without a GPU): static mode on the WGSL int8 kernels
 * (QuantizeInt8 + MatMulInt8/Conv2DInt8, nothing read back), dynamic mode emulated on the device. Skipped where
 * no adapter exists, as test/webgpu does.
 */
const adapter = await defaultProbes.webgpuAdapter();
const available = typeof adapter !== 'string';

describe.skipIf(!available)('int8 layers on webgpu', () => {
  it.each([
    ['dense', 'static'], ['conv', 'static'], ['dense', 'dynamic'], ['conv', 'dynamic'],
  ] as const)('%s %s matches the integer reference', async (layer, mode) => {
    await selectBackend({ backend: 'webgpu' });
    await registerKernels();
    expect(int8KernelReady(layer === 'dense' ? 'MatMulInt8' : 'Conv2DInt8')).toBe(true);
    const s = setup({ layer, mode });
    const before = tf.memory().numTensors;
    const y = s.layer.apply(s.xt) as tf.Tensor;
    const got = await y.data();
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const want = reference(s, layer === 'dense');
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    // WGSL division may move a code by one step at rare ties (docs/numerics.md); emulation accumulates in float
    expect(worst).toBeLessThan(0.02);
    s.layer.dispose();
    s.xt.dispose();
  });
});
