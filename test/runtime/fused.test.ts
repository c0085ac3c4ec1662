import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerKernels, setKernelThreads } from '../../kernels/index.js';
import { loadModel } from '../../src/formats/index.js';
import { runQuantizeStep } from '../../src/quantize/index.js';
import { planFusedInt8, predictInt8, runFusedInt8, setInt8Execution } from '../../src/runtime/index.js';
import { stockLoad } from '../quantize/io.js';
import { cnn, synthetic } from '../quantize/models.js';

/**
 * The fused int8 path (runtime/fused.ts) against the layer-by-layer path of the same model on the int8 kernels:
 * with max pooling only, requantizing in the epilogue gives the codes the next layer's own quantization would,
 * so the outputs must be equal bit for bit.
 */

const FIXTURE = new URL('./fixtures/int8-format1/static-cnn', import.meta.url).pathname;
const MODELS = new URL('../../models', import.meta.url).pathname;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await registerKernels();
});
afterEach(() => setInt8Execution('auto'));

async function staticInt8(dir: string, shape: number[]): Promise<tf.LayersModel> {
  const { model } = await loadModel(dir);
  const r = await runQuantizeStep({ model: model as tf.LayersModel, spec: 'static',
    calibration: synthetic({ count: 32, sampleShape: shape, classes: 10 }), calibSamples: 32 });
  return r.model;
}

/** Same seeded inputs for both paths: uniform [0, 1) like MNIST pixels. */
function inputs(shape: number[], batch: number): tf.Tensor {
  const d = synthetic({ count: batch, sampleShape: shape, seed: 7 });
  return tf.tensor(d.x, [batch, ...shape]);
}

function expectSamePath(model: tf.LayersModel, x: tf.Tensor): void {
  setInt8Execution('kernel');
  const before = tf.memory().numTensors;
  const fused = predictInt8(model, x) as tf.Tensor;
  const layered = model.predict(x) as tf.Tensor;
  expect(fused.shape).toEqual(layered.shape);
  expect(Array.from(fused.dataSync())).toEqual(Array.from(layered.dataSync()));
  tf.dispose([fused, layered]);
  expect(tf.memory().numTensors).toBe(before);
}

describe('fused int8 path', () => {
  it('plans the format-1 static CNN: one quantize, codes through the pool, float where Flatten meets 6 channels', async () => {
    const { model } = await stockLoad(FIXTURE);
    expect(planFusedInt8(model)!.steps.map((s) => s.kind))
      .toEqual(['quantize', 'int8', 'pool', 'int8', 'float', 'quantize', 'int8']);
    const steps = planFusedInt8(model)!.steps;
    expect(steps[1]).toMatchObject({ kind: 'int8', fused: true, out: (steps[3] as { layer: { inputQuant: unknown } }).layer.inputQuant });
    expect(steps[6]).toMatchObject({ kind: 'int8', fused: false, out: null }); // softmax stays a float op
    model.dispose();
  });

  it.each(['cpu', 'wasm'])('static CNN fixture on %s equals the layer-by-layer int8 path exactly', async (backend) => {
    await tf.setBackend(backend);
    const { model } = await stockLoad(FIXTURE);
    const x = inputs([8, 8, 2], 5);
    expectSamePath(model, x);
    tf.dispose(x);
    model.dispose();
  });

  it.each([
    ['mnist-lenet5', [28, 28, 1], ['quantize', 'int8', 'pool', 'int8', 'pool', 'flatten', 'int8', 'int8', 'int8']],
    ['mnist-lenet-300-100', [784], ['quantize', 'int8', 'int8', 'int8']],
  ] as const)('%s (static int8): int8 codes from input to output, equal to the layer-by-layer path on cpu and wasm (1 and 2 threads)',
    async (name, shape, kinds) => {
      await tf.setBackend('wasm');
      const model = await staticInt8(path.join(MODELS, name), [...shape]);
      expect(planFusedInt8(model)!.steps.map((s) => s.kind)).toEqual(kinds);
      for (const [backend, threads] of [['wasm', 1], ['wasm', 2], ['cpu', 1]] as const) {
        await tf.setBackend(backend);
        // 2 threads: every GEMM split across a worker (kernels/wasm/threads.ts), whatever its size.
        expect(await setKernelThreads(threads, { minMacs: 0 })).toBe(threads);
        const x = inputs([...shape], backend === 'cpu' ? 3 : 17);
        expectSamePath(model, x);
        tf.dispose(x);
      }
      await setKernelThreads(1);
      model.dispose();
    }, 60_000);

  it('average pooling runs on codes: within one output step of the layer-by-layer path', async () => {
    await tf.setBackend('wasm');
    const float = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu6' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ] });
    const r = await runQuantizeStep({ model: float, spec: 'static', calibration: synthetic({ count: 32, sampleShape: [8, 8, 2] }), calibSamples: 32 });
    const plan = planFusedInt8(r.model)!;
    expect(plan.steps.map((s) => s.kind)).toEqual(['quantize', 'int8', 'pool', 'int8', 'flatten', 'int8']);
    setInt8Execution('kernel');
    const x = inputs([8, 8, 2], 6);
    const [fused, layered] = tf.tidy(() => [runFusedInt8(plan, x).dataSync(), (r.model.predict(x) as tf.Tensor).dataSync()]);
    const scale = (plan.steps[3] as { layer: { inputQuant: { scale: number } } }).layer.inputQuant.scale;
    let worst = 0;
    for (let i = 0; i < fused!.length; i++) worst = Math.max(worst, Math.abs(fused![i]! - layered![i]!));
    expect(worst).toBeGreaterThan(0); // not the same path in disguise
    expect(worst).toBeLessThan(20 * scale); // one code after pooling, spread by one conv and one dense
    tf.dispose(x);
    float.dispose();
    r.model.dispose();
  });

  it('keeps the layer-by-layer path where it does not apply: dynamic models, emulation, webgpu-like backends', async () => {
    await tf.setBackend('wasm');
    const r = await runQuantizeStep({ model: cnn(), spec: 'dynamic', calibration: synthetic({ count: 8, sampleShape: [8, 8, 2] }) });
    expect(planFusedInt8(r.model)).toBeNull();
    const { model } = await stockLoad(FIXTURE);
    setInt8Execution('emulate');
    const x = inputs([8, 8, 2], 2);
    const a = predictInt8(model, x) as tf.Tensor;
    const b = model.predict(x) as tf.Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b, x]);
    model.dispose();
    r.model.dispose();
  });
});
