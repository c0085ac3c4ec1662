import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isShrinkmlError } from '../../src/core/errors.js';
import { computeMagnitudeMasks, layersModelTargets, pruneUnstructured } from '../../src/prune/index.js';
import { randomizeWeights } from './helpers.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

/** Two 200-weight kernels; d2's weights are 10× smaller than d1's. */
function mlp(): tf.LayersModel {
  const m = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [10], units: 20, name: 'd1' }),
    tf.layers.dense({ units: 10, name: 'd2' }),
  ] });
  randomizeWeights(m, 3);
  const k2 = m.getLayer('d2').weights[0];
  tf.tidy(() => { k2.write(k2.read().mul(0.1)); });
  return m;
}

function zerosOf(model: tf.LayersModel, layer: string, index = 0): number[] {
  const data = model.getLayer(layer).weights[index].read().dataSync();
  const out: number[] = [];
  data.forEach((v, i) => { if (v === 0) out.push(i); });
  return out;
}

describe('magnitude pruning', () => {
  it.each([0.5, 0.9, 0.333])('per layer: exactly round(%s·200) zeros in every kernel, biases untouched', async (s) => {
    const m = mlp();
    await pruneUnstructured(m, { spec: { kind: 'magnitude', sparsity: s, scope: 'layer', criterion: 'l1' } });
    expect(zerosOf(m, 'd1').length).toBe(Math.round(200 * s));
    expect(zerosOf(m, 'd2').length).toBe(Math.round(200 * s));
    expect(zerosOf(m, 'd1', 1).length).toBe(0);
  });

  it('global: one threshold across layers, exact count, every pruned |w| ≤ every kept |w|', async () => {
    const m = mlp();
    const before = [...m.getLayer('d1').weights[0].read().dataSync(), ...m.getLayer('d2').weights[0].read().dataSync()];
    await pruneUnstructured(m, { spec: { kind: 'magnitude', sparsity: 0.5, scope: 'global', criterion: 'l1' } });
    const after = [...m.getLayer('d1').weights[0].read().dataSync(), ...m.getLayer('d2').weights[0].read().dataSync()];
    const pruned = before.filter((_, i) => after[i] === 0).map(Math.abs);
    const kept = before.filter((_, i) => after[i] !== 0).map(Math.abs);
    expect(pruned.length).toBe(200);
    expect(Math.max(...pruned)).toBeLessThanOrEqual(Math.min(...kept));
    // d2 is 10× smaller, so the global threshold takes far more of it than of d1.
    expect(zerosOf(m, 'd2').length).toBeGreaterThan(150);
  });

  it('breaks ties by index so the count is exact even when all weights are equal', async () => {
    const m = mlp();
    m.getLayer('d1').weights[0].write(tf.ones([10, 20]));
    await pruneUnstructured(m, { spec: { kind: 'magnitude', sparsity: 0.3, scope: 'layer', criterion: 'l1' } });
    expect(zerosOf(m, 'd1')).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('honours per-layer overrides inside global pruning and leaves excluded layers dense', async () => {
    const m = mlp();
    const targets = layersModelTargets(m);
    const masks = await computeMagnitudeMasks({ weights: targets, sparsity: 0.5, scope: 'global', overrides: [{ match: 'd2', sparsity: 0.1 }] });
    const zeros = (name: string) => masks.get(name)!.filter((v) => v === 0).length;
    expect(zeros(targets[0].name)).toBe(100);
    expect(zeros(targets[1].name)).toBe(20);
    await pruneUnstructured(m, { spec: { kind: 'magnitude', sparsity: 0.9, scope: 'global', criterion: 'l1' }, exclude: [/^d2$/] });
    expect(zerosOf(m, 'd2').length).toBe(0);
    expect(zerosOf(m, 'd1').length).toBe(180);
  });

  it.each([
    ['l2 ranks like l1 element-wise', 'l2', 'same'],
    ['random differs from l1 but is reproducible for a seed', 'random', 'different'],
  ])('%s', async (_n, criterion, relation) => {
    const targets = layersModelTargets(mlp());
    const base = (await computeMagnitudeMasks({ weights: targets, sparsity: 0.5, criterion: 'l1' })).get(targets[0].name)!;
    const a = (await computeMagnitudeMasks({ weights: targets, sparsity: 0.5, criterion, seed: 9 })).get(targets[0].name)!;
    const b = (await computeMagnitudeMasks({ weights: targets, sparsity: 0.5, criterion, seed: 9 })).get(targets[0].name)!;
    expect([...a]).toEqual([...b]);
    expect([...a].filter((v) => v === 0).length).toBe(100);
    if (relation === 'same') expect([...a]).toEqual([...base]);
    else expect([...a]).not.toEqual([...base]);
  });

  it.each([1, -0.1, NaN])('rejects sparsity %s', async (s) => {
    const targets = layersModelTargets(mlp());
    try {
      await computeMagnitudeMasks({ weights: targets, sparsity: s });
      expect.unreachable();
    } catch (e) {
      expect(isShrinkmlError(e) && e.code).toBe('BAD_INPUT');
    }
  });

  it('does not leak tensors', async () => {
    const m = mlp();
    const before = tf.memory().numTensors;
    await pruneUnstructured(m, { spec: { kind: 'magnitude', sparsity: 0.7, scope: 'global', criterion: 'l1' } });
    expect(tf.memory().numTensors).toBe(before);
  });
});
