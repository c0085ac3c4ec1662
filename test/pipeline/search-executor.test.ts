import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/formats/index.js';
import type { LoadedLayersModel } from '../../src/formats/types.js';
import { parseBudget } from '../../src/measure/index.js';
import { DataProvider, executeTrial, hashWeights, Journal, localExecutor, openTrialRuntime, parsePipelineConfig, searchBudget, searchJobContext, type TrialSpec } from '../../src/pipeline/index.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { saveTinyMnistModel, TINY_DATA } from './helpers.js';

describe('trial execution as a job (what a queue worker runs)', () => {
  let dir: string;
  let modelPath: string;
  let source: LoadedLayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await makeTmpDir('shrinkml-executor-');
    modelPath = await saveTinyMnistModel(dir);
    source = await loadModel(modelPath) as LoadedLayersModel;
  });
  afterAll(async () => {
    source.model.dispose();
    await removeTmpDir(dir);
  });

  const config = parsePipelineConfig({ seed: 3, steps: [{ step: 'prune', options: { method: 'magnitude:0.8:global', finetuneEpochs: 1, batchSize: 64 } }] });
  const budget = parseBudget('drop<=2%');

  it('a context is plain JSON, and a runtime opened from it (model and data by path) gives the same record as the local one', async () => {
    const ctx = searchJobContext({ source, config, budget, data: new DataProvider(TINY_DATA), accuracyMargin: 1 });
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
    expect(ctx).toMatchObject({ modelPath: path.resolve(modelPath), split: 'validation', budget: 'drop<=2%', backend: 'cpu', seed: 3 });
    const spec: TrialSpec = { id: 0, config, levels: { fc1: 1 }, reason: 'test' };
    const remote = await openTrialRuntime(JSON.parse(JSON.stringify(ctx)));
    const local = await openTrialRuntime(ctx, { source, data: new DataProvider(TINY_DATA) });
    try {
      const a = await executeTrial(remote, spec);
      const [b] = await localExecutor(local).runBatch([spec]);
      expect(a.weightsHash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(b!.weightsHash).toBe(a.weightsHash);
      expect(b!.metrics).toEqual(a.metrics);
      expect(b!.accuracyMargin).toEqual(a.accuracyMargin);
      // fc1 relaxed one level keeps twice the weights: 80% → 60% sparsity on it.
      expect(a.metrics.sparsity).toBeGreaterThan(0.55);
    } finally {
      await remote.close();
      await local.close();
    }
  });

  it('the search rebuilds the chosen trial locally with the weights hash the trial recorded', async () => {
    const journal = Journal.open({ file: path.join(dir, 'x.trials.json'), resume: false, key: { sourceHash: '', config, budget: 'drop<=2%', data: 'mnist', backend: 'cpu' } }).journal;
    const result = await searchBudget({ source, config, budget, data: new DataProvider(TINY_DATA), journal, maxTrials: 2, timeoutSeconds: 600 });
    try {
      expect(await hashWeights(result.run.model)).toBe(result.closest.weightsHash);
    } finally {
      result.run.model.dispose();
    }
  });
});
