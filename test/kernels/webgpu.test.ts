// Every kernel that has a WebGPU implementation, on every case of its suite, through Dawn (SwiftShader in CI).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { channelMinMaxSuite } from '../../kernels/channel-minmax/cases.js';
import { conv2dInt8Suite } from '../../kernels/conv2d-int8/cases.js';
import { dequantizeInt8Suite } from '../../kernels/dequantize-int8/cases.js';
import { fakeQuantSuite } from '../../kernels/fake-quant/cases.js';
import { histogramSuite } from '../../kernels/histogram/cases.js';
import { randomFloat, seeded } from '../../kernels/testing-data.js';
import { magnitudeThresholdSuite } from '../../kernels/magnitude-threshold/cases.js';
import { matMulInt8WeightOnlySuite } from '../../kernels/matmul-int8-weight-only/cases.js';
import { matMulInt8Suite } from '../../kernels/matmul-int8/cases.js';
import { quantizeInt8Suite } from '../../kernels/quantize-int8/cases.js';
import { hasPackedDot, setWebGPUKernelOptions } from '../../kernels/webgpu/features.js';
import { channelMinMax, fakeQuant, registerKernels } from '../../kernels/index.js';
import { activateWebGPU, type AnySuite, expectMatches, probeWebGPU, runCase } from './webgpu-helpers.js';

const { skip } = await probeWebGPU();

/** More histogram cases: bin counts past each workgroup-memory size class, and more values than one pass. */
const histogramMore: AnySuite = {
  ...histogramSuite,
  cases: () => [...histogramSuite.cases(),
    { name: '5000 bins (global atomics)', inputs: { x: randomFloat([3000], seeded(1), 2) }, attrs: { bins: 5000, min: -2, max: 2 } },
    { name: '300 bins, 70000 values (several workgroups)', inputs: { x: randomFloat([70000], seeded(2), 1) }, attrs: { bins: 300, min: -0.9, max: 0.7 } }],
};

const SUITES: AnySuite[] = [quantizeInt8Suite, dequantizeInt8Suite, fakeQuantSuite, matMulInt8Suite, conv2dInt8Suite,
  histogramMore, matMulInt8WeightOnlySuite, channelMinMaxSuite, magnitudeThresholdSuite];

beforeAll(async () => {
  if (skip) return;
  await activateWebGPU();
  await registerKernels();
});

afterAll(() => setWebGPUKernelOptions({ portable: false, alwaysExactDivision: false }));

describe.skipIf(skip).each(SUITES.map((s) => [s.kernelName, s] as const))('webgpu %s', (_name, suite) => {
  it.each(suite.cases().map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    expectMatches(suite, c, await runCase(suite, c));
  });
});

/** The paths a real GPU may take where SwiftShader would not: no dot4I8Packed, and the exact division everywhere. */
describe.skipIf(skip)('webgpu fallbacks', () => {
  it('runs the dot4I8Packed path by default on Dawn (so the suites above tested it)', () => {
    expect(hasPackedDot()).toBe(true);
  });

  it.each([matMulInt8Suite, conv2dInt8Suite].flatMap((s) => s.cases().map((c) => [s.kernelName, c.name, s, c] as const)))(
    'portable (no dot4I8Packed) %s: %s', async (_k, _n, suite, c) => {
      setWebGPUKernelOptions({ portable: true });
      try {
        expectMatches(suite, c, await runCase(suite, c));
      } finally {
        setWebGPUKernelOptions({ portable: false });
      }
    });

  it.each([quantizeInt8Suite, fakeQuantSuite].flatMap((s) => s.cases().map((c) => [s.kernelName, c.name, s, c] as const)))(
    'exact division for every value %s: %s', async (_k, _n, suite, c) => {
      setWebGPUKernelOptions({ alwaysExactDivision: true });
      try {
        expectMatches(suite, c, await runCase(suite, c));
      } finally {
        setWebGPUKernelOptions({ alwaysExactDivision: false });
      }
    });
});

describe.skipIf(skip)('webgpu FakeQuant in training', () => {
  it('has the clipped straight-through gradient, as on cpu', async () => {
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      const g = tf.tidy(() => {
        const x = tf.tensor2d([-3, -0.26, -0.25, 0, 0.1, 0.24, 0.26, 2, 0.3, NaN], [5, 2]);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fakeQuant({ x: t, scale: [0.1, 0.05], zeroPoint: [0, 1], qmin: -3, qmax: 3 }),
          tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5, 2]))))(x);
      });
      const out = Array.from(await g.data());
      g.dispose();
      return out;
    };
    const gpu = await grad('webgpu');
    const cpu = await grad('cpu');
    await tf.setBackend('webgpu');
    expect(gpu).toEqual(cpu);
    // Inside [qmin, qmax] the gradient passes dy through; clamped values get 0.
    expect(gpu).toEqual([0, 0, 3, 4, 5, 0, 7, 0, 9, 0]);
  });
});

describe.skipIf(skip)('SHRINKML_PRINT_SHADERS', () => {
  it('prints the full WGSL of the named program when it compiles, and nothing for others', async () => {
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    const group = vi.spyOn(console, 'group').mockImplementation(() => {});
    process.env.SHRINKML_PRINT_SHADERS = 'channel-minmax';
    let printed: string[], groups: string[];
    try {
      // Rank 5 input: a shader key no other test compiled, so the pipeline is built (and printed) now.
      const x = tf.ones([1, 1, 1, 2, 3]);
      const y = channelMinMax({ x });
      await y.data();
      const fx = tf.ones([1, 1, 1, 1, 7]);
      const f = fakeQuant({ x: fx, scale: 0.5, qmin: -8, qmax: 7 });
      await f.data();
      tf.dispose([x, y, fx, f]);
      printed = debug.mock.calls.map((c) => String(c[0]));
      groups = group.mock.calls.map((c) => String(c[0]));
    } finally {
      delete process.env.SHRINKML_PRINT_SHADERS;
      debug.mockRestore();
      group.mockRestore();
    }
    expect(printed.length).toBe(1);
    expect(printed[0]).toContain('fn sm_canonical');
    expect(printed[0]).toContain('struct Uniforms');
    expect(groups).toEqual([expect.stringContaining('shrinkml_channel-minmax_first')]);
  });
});
