import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadData, toModelInput } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/index.js';
import { loadModel } from '../../src/formats/index.js';
import type { LoadedLayersModel } from '../../src/formats/types.js';
import { runBench } from '../../src/pipeline/index.js';
import { detectTorch, pythonCandidates, runYardstick, yardstickNote, yardstickRows } from '../../src/pipeline/yardstick/index.js';
import type { YardstickResult } from '../../src/pipeline/yardstick/index.js';

const hasTorch = (await detectTorch()).available;
const MISSING = '/nonexistent/shrinkml-test/python3';
const SETTINGS = { epochs: 1, studentWidth: 0.5, budget: 'drop<=1%', seed: 1 };

const models = new Map<string, LoadedLayersModel>();
async function model(name: string): Promise<LoadedLayersModel> {
  if (!models.has(name)) models.set(name, await loadModel(`models/${name}`) as LoadedLayersModel);
  return models.get(name)!;
}

let test: Dataset;
beforeAll(async () => {
  await tf.setBackend('cpu');
  test = await loadData({ source: 'mnist', split: 'test', limit: 300 });
});
afterAll(() => {
  for (const m of models.values()) m.model.dispose();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('PyTorch yardstick without PyTorch', () => {
  it.each([
    [undefined, undefined, ['/usr/bin/python3', 'python3']],
    ['/opt/py/bin/python3', undefined, ['/opt/py/bin/python3']],
    [undefined, '/env/python3', ['/env/python3']],
  ])('interpreters tried (option %s, SHRINKML_PYTHON %s): %j', (option, env, expected) => {
    vi.stubEnv('SHRINKML_PYTHON', env ?? '');
    expect(pythonCandidates(option)).toEqual(expected);
  });

  it('a missing interpreter means not available, not an error', async () => {
    expect(await detectTorch({ python: MISSING })).toEqual({ available: false, reason: `python3-torch not installed (${MISSING}: not found)` });
  });

  it('with SHRINKML_PYTHON pointing nowhere, the bench says the yardstick did not run', async () => {
    vi.stubEnv('SHRINKML_PYTHON', MISSING);
    const report = await runBench({ input: await model('mnist-lenet-300-100'), data: 'mnist', limit: 50, variants: ['fp32', 'pytorch'], settings: SETTINGS });
    expect(report.rows.map((r) => [r.variant, r.status])).toEqual([['fp32', 'ok'], ['pytorch', 'skipped']]);
    expect(report.rows[1]!.note).toMatch(/^python3-torch not installed/);
    expect(report.notes).toContain(`PyTorch yardstick: not run (python3-torch not installed (${MISSING}: not found)).`);
  });

  it('a bench without the pytorch variant says so', () => {
    expect(yardstickNote(undefined)).toMatch(/^PyTorch yardstick: not run \(not among --variants/);
  });

  it('a transfer that does not reproduce tfjs marks the PyTorch fp32 row failed', () => {
    const row = { description: 'd', bytes: 1000, drop: 0 };
    const result = {
      torch: '1.13', python: '3.11', interpreter: 'python3', engine: 'onednn', threads: 1, cpu: 'x', samples: 10, batchSize: 256, calibrationSamples: 0, totalSeconds: 1,
      transfer: { tfjsAccuracy: 0.98, torchAccuracy: 0.5, agreement: 0.5, maxAbsDiff: 0.9, tolerancePt: 0.01, ok: false },
      variants: [{ ...row, name: 'fp32', accuracy: 0.5, gzipBytes: 900 }, { ...row, name: 'dynamic', accuracy: 0.5, gzipBytes: 300 }],
    } satisfies YardstickResult;
    expect(yardstickRows({ status: 'ok', result }).map((r) => [r.variant, r.status, r.ratio])).toEqual([
      ['pytorch:fp32', 'failed', 1], ['pytorch:ptq-dynamic', 'ok', 3],
    ]);
  });
});

describe.skipIf(!hasTorch)('PyTorch yardstick with PyTorch', () => {
  it.each([['mnist-lenet-300-100'], ['mnist-lenet5']])('%s: PyTorch fp32 predicts what tfjs predicts; dynamic int8 within 1 pt', async (name) => {
    const { model: m } = await model(name);
    const outcome = await runYardstick({ model: m, test, variants: ['fp32', 'dynamic'], keepPredictions: true, latency: false });
    if (outcome.status !== 'ok') throw new Error(`${outcome.status}: ${outcome.reason}`);
    const r = outcome.result;
    const x = toModelInput(test, m.inputs[0]!.shape);
    const probs = tf.tidy(() => m.predict(x) as tf.Tensor);
    const ours = probs.dataSync() as Float32Array;
    const top = (a: Float32Array, i: number) => { let best = 0; for (let k = 1; k < 10; k++) if (a[i * 10 + k]! > a[i * 10 + best]!) best = k; return best; };
    let agree = 0;
    let maxDiff = 0;
    for (let i = 0; i < test.count; i++) {
      if (top(ours, i) === top(r.predictions!, i)) agree++;
      for (let k = 0; k < 10; k++) maxDiff = Math.max(maxDiff, Math.abs(ours[i * 10 + k]! - r.predictions![i * 10 + k]!));
    }
    tf.dispose([x, probs]);
    expect(r.predictions).toHaveLength(test.count * 10);
    expect(agree / test.count).toBeGreaterThanOrEqual(0.995);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(r.transfer.ok).toBe(true);
    expect(r.transfer.maxAbsDiff).toBeLessThan(1e-4);
    const [fp32, dynamic] = r.variants;
    expect([fp32!.name, dynamic!.name]).toEqual(['fp32', 'dynamic']);
    expect(Math.abs(dynamic!.drop)).toBeLessThanOrEqual(1);
    // int8 Linear weights: the state_dict shrinks about 4× (biases and scales stay float).
    expect(fp32!.bytes / dynamic!.bytes).toBeGreaterThan(3);
  });

  it('the bench puts PyTorch rows beside shrinkml\'s, calibrated on the same split', async () => {
    const report = await runBench({ input: await model('mnist-lenet-300-100'), data: 'mnist', limit: 300, variants: ['fp32', 'pytorch'], settings: SETTINGS });
    expect(report.rows.map((r) => [r.variant, r.status])).toEqual([
      ['fp32', 'ok'], ['pytorch:fp32', 'ok'], ['pytorch:ptq-dynamic', 'ok'], ['pytorch:ptq-static-minmax', 'ok'], ['pytorch:ptq-static-histogram', 'ok'],
    ]);
    const by = Object.fromEntries(report.rows.map((r) => [r.variant, r]));
    expect(by['pytorch:fp32']!.accuracy).toBe(by.fp32!.accuracy);
    expect(by['pytorch:fp32']!.ratio).toBe(1);
    for (const v of ['pytorch:ptq-static-minmax', 'pytorch:ptq-static-histogram']) expect(Math.abs(by[v]!.drop!)).toBeLessThanOrEqual(1);
    expect(report.notes.find((n) => n.startsWith('PyTorch yardstick'))).toMatch(/weight transfer verified: .*calibrated on the same 512 calibration samples/);
  });

  it('a branching model is reported as not rebuilt, without failing the bench', async () => {
    const outcome = await runYardstick({ model: (await model('mnist-residual')).model, test, latency: false });
    expect(outcome).toMatchObject({ status: 'unsupported', reason: expect.stringMatching(/branching graph/) });
  });
});
