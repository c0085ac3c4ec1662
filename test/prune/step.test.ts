import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isShrinkmlError } from '../../src/core/errors.js';
import type { Dataset } from '../../src/data/types.js';
import { formatPruneReport, isNMSparse, runPruneStep } from '../../src/prune/index.js';
import { getArchitecture } from '../../src/zoo/index.js';
import { convNet } from '../graph/models.js';
import { graphModelJson } from '../fixtures/graph.js';
import { randomInput, randomizeWeights } from './helpers.js';
import { seededRandom } from '../../src/prune/rng.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

function mlp(): tf.LayersModel {
  const m = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [8], units: 32, activation: 'relu', name: 'h' }),
    tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
  ] });
  randomizeWeights(m, 4);
  return m;
}

/** 96 samples of 8 features; the label is which of the first three features is largest. */
function toyData(): Dataset {
  const rnd = seededRandom(3);
  const x = Float32Array.from({ length: 96 * 8 }, () => rnd());
  const labels = Int32Array.from({ length: 96 }, (_, i) => {
    const f = x.subarray(i * 8, i * 8 + 3);
    return f.indexOf(Math.max(...f));
  });
  return { name: 'toy', split: 'train', count: 96, sampleShape: [8], x, labels, classes: 3, files: [] };
}

const zeros = (m: tf.LayersModel, layer: string): number => m.getLayer(layer).weights[0].read().dataSync().filter((v) => v === 0).length;

describe('runPruneStep', () => {
  it('magnitude:0.75:global — exact sparsity, smaller gzip, input model untouched, says it is not faster', async () => {
    const m = mlp();
    const tensors = tf.memory().numTensors;
    const { model, report } = await runPruneStep({ model: m, spec: 'magnitude:0.75:global' });
    expect(tf.memory().numTensors).toBe(tensors + 4); // the pruned copy's four weights, nothing else
    const pruned = model as tf.LayersModel;
    expect(pruned).not.toBe(m);
    expect(zeros(pruned, 'h') + zeros(pruned, 'out')).toBe(Math.round(0.75 * (256 + 96)));
    expect(zeros(m, 'h')).toBe(0);
    expect(report.params).toEqual({ before: 387, after: 387 });
    expect(report.nonzeroParams.after).toBe(387 - 264);
    expect(report.size.gzipBytes.after).toBeLessThan(report.size.gzipBytes.before * 0.6);
    expect(report.size.bytes).toEqual({ before: 387 * 4, after: 387 * 4 });
    expect(report.speedNote).toContain('make nothing faster');
    expect(formatPruneReport(report)).toContain('make nothing faster');
    expect(report.layers.map((l) => [l.name, l.params.after])).toEqual([['h', 288], ['out', 99]]);
    pruned.dispose();
  });

  it('2:4 — every block valid', async () => {
    const { model } = await runPruneStep({ model: mlp(), spec: '2:4' });
    const k = (model as tf.LayersModel).getLayer('h').weights[0].read();
    expect(isNMSparse(k.dataSync(), k.shape, 0, 2, 4)).toBe(true);
    expect(zeros(model as tf.LayersModel, 'h')).toBe(128);
  });

  it('structured dry run: same model back, recipe and before/after params and FLOPs in the report', async () => {
    const m = convNet();
    randomizeWeights(m, 8);
    const before = tf.memory().numTensors;
    const { model, report } = await runPruneStep({ model: m, spec: 'structured:0.5', dryRun: true });
    expect(model).toBe(m);
    expect(report.dryRun).toBe(true);
    expect(report.recipe!.groups.map((g) => [g.key, g.keep.length])).toEqual([['c1', 2], ['d1', 2]]);
    expect(report.params).toEqual({ before: 259, after: 75 });
    // c1 2·36·9·4 → 2·36·9·2; d1 2·36·5 → 2·18·2; out 2·5·3 → 2·2·3
    expect(report.flops).toEqual({ before: 2592 + 360 + 30, after: 1296 + 72 + 12 });
    expect(report.speedNote).toContain('fewer parameters and FLOPs');
    expect(tf.memory().numTensors).toBe(before);
    const text = formatPruneReport(report);
    expect(text).toContain('cut  c1: 4 → 2 channels (layers c1, bn1, d1); keep [');
    expect(text).toContain('keep out: out: softmax activation; model output');
    expect(text).toContain('parameters  259 → 75 (3.45× smaller)');
  });

  it('LeNet-5 (zoo architecture): structured:0.5 halves every hidden group; params and FLOPs ≥ 1.8× smaller', async () => {
    const m = getArchitecture('mnist-lenet5').build(1);
    const { model, report } = await runPruneStep({ model: m, spec: 'structured:0.5' });
    expect(report.recipe!.groups.map((g) => `${g.key} ${g.size}→${g.keep.length}`)).toEqual(['conv1 6→3', 'conv2 16→8', 'fc1 120→60', 'fc2 84→42']);
    // conv1 156+24 BN, conv2 2416+64, fc1 48120, fc2 10164, fc3 850 → conv1 78+12, conv2 608+32, fc1 12060, fc2 2562, fc3 430
    expect(report.params).toEqual({ before: 61794, after: 15782 });
    expect(report.flops.before / report.flops.after).toBeGreaterThan(1.8);
    const x = tf.zeros([1, 28, 28, 1]);
    expect(((model as tf.LayersModel).predict(x) as tf.Tensor).shape).toEqual([1, 10]);
    tf.dispose([x]);
    model.dispose();
  });

  it('fine-tunes with seeded batching and keeps the pruned weights at zero', async () => {
    const m = mlp();
    const data = toyData();
    const { model, report } = await runPruneStep({
      model: m, spec: 'magnitude:0.5', finetune: { epochs: 2, train: data, batchSize: 16, seed: 1, learningRate: 0.05 },
    });
    const pruned = model as tf.LayersModel;
    expect(report.finetune!.map((e) => e.epoch)).toEqual([0, 1]);
    expect(zeros(pruned, 'h')).toBe(128);
    expect(zeros(pruned, 'out')).toBe(48);
    // Same seed, same result: batching is seeded.
    const again = await runPruneStep({ model: m, spec: 'magnitude:0.5', finetune: { epochs: 2, train: data, batchSize: 16, seed: 1, learningRate: 0.05 } });
    expect(Array.from((again.model as tf.LayersModel).getWeights()[0].dataSync())).toEqual(Array.from(pruned.getWeights()[0].dataSync()));
  });

  it('fine-tunes a structurally pruned model (new shapes train)', async () => {
    const m = mlp();
    const { model, report } = await runPruneStep({
      model: m, spec: 'structured:0.5', finetune: { epochs: 1, train: toyData(), batchSize: 32, seed: 2 },
    });
    expect((model as tf.LayersModel).getLayer('h').weights[0].shape).toEqual([8, 16]);
    expect(report.finetune!.length).toBe(1);
  });
});

describe('graph models (weights only)', () => {
  const W = [[0.1, -0.9, 0.4], [0.5, 0.2, -0.05], [-0.3, 0.8, 0.6], [0.7, -0.2, 0.01]];
  const b = [0.5, -0.5, 0.1];
  const graph = (): tf.GraphModel => {
    const json = graphModelJson(4, 3) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const data = new Float32Array([...W.flat(), ...b]);
    return tf.loadGraphModelSync({ load: () => ({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: data.buffer }) }) as unknown as tf.GraphModel;
  };

  it('magnitude:0.5 zeros the 6 smallest kernel weights and leaves the bias', async () => {
    const g = graph();
    const { model } = await runPruneStep({ model: g, spec: 'magnitude:0.5' });
    const pruned = model as tf.GraphModel;
    const x = randomInput([2, 4]);
    const Wp = W.map((row) => row.map((v) => (Math.abs(v) <= 0.3 ? 0 : v)));
    const want = tf.add(tf.matMul(x, tf.tensor2d(Wp)), tf.tensor1d(b));
    const got = pruned.execute(x) as tf.Tensor;
    expect(Array.from(got.dataSync()).map((v, i) => Math.abs(v - want.dataSync()[i])).every((d) => d < 1e-6)).toBe(true);
    expect(Array.from(g.weights.W[0].dataSync())).toEqual(Array.from(new Float32Array(W.flat())));
    tf.dispose([x, want, got]);
  });

  it.each([
    ['structured:0.5', {}, 'structured pruning needs a Layers model'],
    ['magnitude:0.5', { finetune: { epochs: 1, train: toyData() } }, 'fine-tuning needs a Layers model'],
  ])('%s %j is refused', async (spec, extra, message) => {
    await expect(runPruneStep({ model: graph(), spec, ...extra })).rejects.toSatisfy((e: unknown) => isShrinkmlError(e) && e.code === 'UNSUPPORTED' && e.message.includes(message));
  });
});
