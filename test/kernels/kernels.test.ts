// Every case of every op on every available backend, against the op's pure-TS reference.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2dBackpropFilterSuite } from '../../kernels/conv2d-backprop-filter/cases.js';
import { conv2dBackpropInputSuite } from '../../kernels/conv2d-backprop-input/cases.js';
import { batchMatMulSuite } from '../../kernels/batch-matmul/cases.js';
import { batchNormGradSuite } from '../../kernels/batch-norm-grad/cases.js';
import { broadcastBinarySuites } from '../../kernels/broadcast-binary/cases.js';
import { channelSumSuites } from '../../kernels/channel-sum/cases.js';
import { identitySuite } from '../../kernels/identity/cases.js';
import { conv2dInt8Suite } from '../../kernels/conv2d-int8/cases.js';
import { depthwiseBackpropFilterSuite } from '../../kernels/depthwise-backprop-filter/cases.js';
import { depthwiseBackpropInputSuite } from '../../kernels/depthwise-backprop-input/cases.js';
import { fakeQuantSuite } from '../../kernels/fake-quant/cases.js';
import { addInt8Suite, avgPoolInt8Suite, depthwiseConv2dInt8Suite, fusedConv2dInt8Suite, fusedMatMulInt8Suite, maxPoolInt8Suite } from '../../kernels/fused-int8/cases.js';
import { quantizeInt8Suite } from '../../kernels/quantize-int8/cases.js';
import { histogramSuite } from '../../kernels/histogram/cases.js';
import { registerKernels, setKernelThreads } from '../../kernels/index.js';
import { matMulInt8Suite } from '../../kernels/matmul-int8/cases.js';
import { maxPoolGradSuite } from '../../kernels/max-pool-grad/cases.js';
import type { KernelCase, KernelSuite, TensorData } from '../../kernels/types.js';

const SUITES: KernelSuite[] = [
  conv2dBackpropFilterSuite, conv2dBackpropInputSuite, depthwiseBackpropFilterSuite, depthwiseBackpropInputSuite,
  maxPoolGradSuite, matMulInt8Suite, conv2dInt8Suite, fakeQuantSuite, histogramSuite, quantizeInt8Suite,
  fusedMatMulInt8Suite, fusedConv2dInt8Suite, depthwiseConv2dInt8Suite, maxPoolInt8Suite, avgPoolInt8Suite, addInt8Suite, batchNormGradSuite,
  batchMatMulSuite, ...broadcastBinarySuites, ...channelSumSuites, identitySuite,
];
const BACKENDS = ['cpu', 'wasm'];

async function run(backend: string, suite: KernelSuite, c: KernelCase): Promise<TensorData> {
  await tf.setBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const before = tf.memory().numTensors;
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, v.dtype)]));
  const out = tf.engine().runKernel(suite.kernelName, inputs, c.attrs) as tf.Tensor | tf.Tensor[];
  // A kernel with several outputs is compared as their values one after the other.
  const outs = Array.isArray(out) ? out : [out];
  const values = outs.length === 1 ? outs[0]!.dataSync() as Float32Array : Float32Array.from(outs.flatMap((o) => Array.from(o.dataSync())));
  const result: TensorData = { shape: outs.length === 1 ? outs[0]!.shape : [values.length], dtype: outs[0]!.dtype as 'float32', values };
  tf.dispose([...outs, ...Object.values(inputs)]);
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

/** Largest |got - want| / (1 + |want|), NaN-aware (NaN must meet NaN). */
function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) { if (Number.isNaN(w) !== Number.isNaN(g)) return Infinity; continue; }
    if (g === w) continue;
    worst = Math.max(worst, Math.abs(g - w) / (1 + Math.abs(w)));
  }
  return worst;
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  await registerKernels();
  await registerKernels(); // idempotent
});

describe.each(SUITES.map((s) => [s.kernelName, s] as const))('%s', (_name, suite) => {
  const cases = suite.cases();
  it.each(BACKENDS.filter((b) => suite.backends?.includes(b) ?? true).flatMap((b) => cases.map((c) => [b, c.name, c] as const)))('%s: %s', async (backend, _n, c) => {
    const want = suite.reference(c);
    const got = await run(backend, suite, c);
    expect(got.shape).toEqual(want.shape);
    expect(got.values.length).toBe(want.values.length);
    const err = maxError(got.values, want.values);
    if (suite.tolerance === 0) expect(Array.from(got.values)).toEqual(Array.from(want.values));
    else expect(err).toBeLessThanOrEqual(suite.tolerance);
  });
});

// The fused int8 GEMMs and depthwise conv split across 2 kernel threads (kernels/wasm/threads.ts): the same bits as one thread.
describe.each([fusedMatMulInt8Suite, fusedConv2dInt8Suite, depthwiseConv2dInt8Suite].map((s) => [s.kernelName, s] as const))('%s on 2 kernel threads', (_name, suite) => {
  beforeAll(async () => {
    expect(await setKernelThreads(2, { minMacs: 0 })).toBe(2);
  });
  afterAll(async () => {
    expect(await setKernelThreads(1)).toBe(1);
  });
  it.each(suite.cases().map((c) => [c.name, c] as const))('wasm: %s', async (_n, c) => {
    const got = await run('wasm', suite, c);
    expect(Array.from(got.values)).toEqual(Array.from(suite.reference(c).values));
  });
});

// The training kernels split images (input gradient), filter taps (filter gradient) or output rows (matmul) across
// 2 kernel threads: the same bits as one thread, every output element summed by one thread in the same order.
describe.each([conv2dBackpropInputSuite, conv2dBackpropFilterSuite, batchMatMulSuite].map((s) => [s.kernelName, s] as const))('%s on 2 kernel threads', (_name, suite) => {
  const cases = suite.cases();
  let single: TensorData[] = [];
  beforeAll(async () => {
    single = [];
    for (const c of cases) single.push(await run('wasm', suite, c));
    expect(await setKernelThreads(2, { minMacs: 0 })).toBe(2);
  });
  afterAll(async () => {
    expect(await setKernelThreads(1)).toBe(1);
  });
  it.each(cases.map((c, i) => [c.name, c, i] as const))('wasm: %s', async (_n, c, i) => {
    const got = await run('wasm', suite, c);
    expect(Array.from(got.values)).toEqual(Array.from(single[i]!.values));
  });
});

describe('Identity on wasm (shares its input\'s data)', () => {
  it('the copy outlives its input, and freeing both frees the data', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numBytes;
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const y = tf.engine().runKernel('Identity', { x }) as tf.Tensor;
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(tf.memory().numBytes).toBe(before);
  });
});
