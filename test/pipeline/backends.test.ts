import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProbes, selectBackend, type ConcreteBackend } from '../../src/backends/index.js';
import { loadData, type Dataset } from '../../src/data/index.js';
import { loadModel } from '../../src/formats/index.js';
import type { LoadedLayersModel } from '../../src/formats/types.js';
import { compressModel, DataProvider, parsePipelineConfig, runPipeline, STEP_NAMES } from '../../src/pipeline/index.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { saveTinyMnistModel, TINY_DATA } from './helpers.js';

/**
 * Every pipeline step on every backend (issue 13: a synchronous read crashed every training/pruning/calibration
 * step on tfjs-webgpu in Node). One case list per step of the registry — a new step fails the first test until it
 * has a case here. Each case runs on cpu first (the reference), then wasm, then webgpu (SwiftShader in CI: 256
 * training samples, one epoch), and its output must agree with cpu's on real test images.
 */
const CASES: Record<string, unknown[][]> = {
  prune: [
    [{ step: 'prune', options: { method: 'magnitude:0.5', finetuneEpochs: 1 } }],
    [{ step: 'prune', options: { method: 'magnitude:0.5:global', finetuneEpochs: 1, schedule: 'polynomial' } }],
    [{ step: 'prune', options: { method: '2:4', finetuneEpochs: 1 } }],
    [{ step: 'prune', options: { method: 'structured:0.5', finetuneEpochs: 1 } }],
  ],
  distill: [[{ step: 'prune', options: { method: 'magnitude:0.5' } }, { step: 'distill', options: { epochs: 1, batchSize: 64 } }]],
  cluster: [[{ step: 'cluster', options: { clusters: 16, finetuneEpochs: 1 } }]],
  qat: [[{ step: 'prune', options: { method: 'magnitude:0.5' } }, { step: 'qat', options: { epochs: 1, calibSamples: 64 } }]],
  ptq: [[{ step: 'ptq', options: { mode: 'static', calibSamples: 64 } }], [{ step: 'ptq', options: { mode: 'dynamic' } }]],
  'weight-format': [[{ step: 'weight-format', options: { encoding: 'uint8' } }]],
};
const cases = Object.values(CASES).flat().map((steps) => ({
  name: steps.map((s) => `${(s as { step: string }).step}(${JSON.stringify((s as { options: unknown }).options)})`).join(' → '),
  steps,
}));

// webgpu is mandatory under CI (SwiftShader); elsewhere it is skipped when there is no adapter, and says so.
const adapter = await defaultProbes.webgpuAdapter();
const gpu = typeof adapter !== 'string' || !!process.env.CI;
if (!gpu) console.warn(`\n!!! webgpu pipeline tests SKIPPED: ${adapter}\n`);
// cpu first: its outputs are the reference. webgpu last: tensors moved onto it cannot come back synchronously.
const BACKENDS: ConcreteBackend[] = ['cpu', 'wasm', ...(gpu ? ['webgpu' as const] : [])];

let dir: string;
let modelPath: string;
let test: Dataset;
const reference = new Map<string, { top1: Int32Array; accuracy: number }>();

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
  dir = await makeTmpDir('shrinkml-backends-');
  modelPath = await saveTinyMnistModel(dir);
  test = await loadData({ source: 'mnist', split: 'test', limit: 200 });
});
afterAll(async () => {
  await removeTmpDir(dir);
});

/** Top-1 class of every test image, and the accuracy. */
async function classify(model: tf.LayersModel): Promise<{ top1: Int32Array; accuracy: number }> {
  const x = tf.tensor2d(test.x, [test.count, 784]);
  const top = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1));
  const top1 = Int32Array.from(await top.data());
  tf.dispose([x, top]);
  const accuracy = top1.filter((c, i) => c === test.labels![i]).length / test.count;
  return { top1, accuracy };
}

it('has a case for every step in the registry', () => {
  expect(Object.keys(CASES).sort()).toEqual([...STEP_NAMES].sort());
});

describe.each(BACKENDS)('on %s', (backend) => {
  let source: LoadedLayersModel;
  beforeAll(async () => {
    const choice = await selectBackend({ backend });
    expect(tf.getBackend()).toBe(backend); // no silent fallback
    expect(choice.backend).toBe(backend);
    // Loaded on this backend: weights never travel back from webgpu.
    source = await loadModel(modelPath) as LoadedLayersModel;
  });
  afterAll(() => source.model.dispose());

  it.each(cases)('$name', async ({ name, steps }) => {
    const before = tf.memory().numTensors;
    const run = await runPipeline({ model: source.model, config: parsePipelineConfig({ seed: 3, steps }), data: new DataProvider(TINY_DATA) });
    const result = await classify(run.model);
    run.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    if (backend === 'cpu') {
      reference.set(name, result);
      expect(result.accuracy).toBeGreaterThan(0.6);
      return;
    }
    // Same seed and data, another backend: float rounding may move a few borderline images, no more.
    const cpu = reference.get(name)!;
    const agree = result.top1.filter((c, i) => c === cpu.top1[i]).length / test.count;
    expect(agree).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(result.accuracy - cpu.accuracy)).toBeLessThanOrEqual(0.03);
  });

  it('compress: pipeline, measurement against the input, lineage and report', async () => {
    const out = path.join(dir, `out-${backend}`);
    const result = await compressModel({
      input: source, out, latency: false,
      config: parsePipelineConfig({ seed: 3, steps: [{ step: 'prune', options: { method: 'magnitude:0.5', finetuneEpochs: 1 } }], data: { trainLimit: 256 } }),
      data: { source: 'mnist', limit: 200 },
    });
    expect(result.measurement.sparsity).toBeCloseTo(0.5, 1);
    expect(result.measurement.accuracy).toBeGreaterThan(0.6);
    expect(result.lineage.weightsHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.exitCode).toBe(0);
  });
});
