import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isShrinkmlError } from '../../src/core/errors.js';
import { applyRecipe, planStructured, pruneStructured, type StructuredRecipe } from '../../src/prune/index.js';
import { concatNet, convNet, reshapeNet, residualNet, squeezeExciteNet } from '../graph/models.js';
import { maxAbsDiff, predictArray, randomInput, randomizeWeights, roundTrip, zeroOutChannels } from './helpers.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

interface Case {
  name: string;
  build: () => tf.LayersModel;
  input: number[];
  ratio: number;
  /** Producer layer → channels whose weights are zeroed (so their output is a constant); they must be the ones cut. */
  zero: Record<string, number[]>;
  /** Group key → expected surviving channels. */
  keep: Record<string, number[]>;
  params: [number, number];
}

const cases: Case[] = [
  {
    name: 'conv → BN → pool → flatten → dense', build: convNet, input: [3, 8, 8, 1], ratio: 0.5,
    zero: { c1: [1, 3], d1: [0, 2, 4] }, keep: { c1: [0, 2], d1: [1, 3] },
    // before: c1 40 + bn 16 + d1 36·5+5 + out 5·3+3; after: c1 20 + bn 8 + d1 18·2+2 + out 2·3+3
    params: [259, 75],
  },
  {
    name: 'residual Add (BN on one branch)', build: residualNet, input: [2, 6, 6, 2], ratio: 0.4,
    zero: { a: [0, 2], b: [0, 2], c: [1] }, keep: { 'a+b': [1, 3], c: [0, 2] },
    // before: a 76 + bn 16 + b 12 + c 111 + out 8; after: a 38 + bn 8 + b 6 + c 38 + out 6
    params: [223, 96],
  },
  {
    name: 'Concatenate → depthwise → flatten', build: concatNet, input: [2, 6, 6, 2], ratio: 0.4,
    zero: { a: [1], b: [0, 3], c: [0, 3] }, keep: { a: [0, 2], b: [1, 2, 4], c: [1, 2] },
    // before: a 9 + b 15 + dw 80 + c 36 + out 64·2+2; after: a 6 + b 9 + dw 50 + c 12 + out 16·2·2+2
    params: [270, 143],
  },
  {
    name: 'squeeze-excite (Reshape + Multiply couple the gate to the features)', build: squeezeExciteNet, input: [2, 4, 4, 3], ratio: 0.5,
    zero: { a: [1, 3, 5, 7], s2: [1, 3, 5, 7], s1: [0], c: [0, 3] }, keep: { 'a+s2': [0, 2, 4, 6], s1: [1], c: [1, 2] },
    // before: a 32 + s1 18 + s2 24 + c 36 + out 10; after: a 16 + s1 5 + s2 8 + c 10 + out 6
    params: [120, 45],
  },
];

describe.each(cases)('$name', (c) => {
  const model = (): tf.LayersModel => {
    const m = c.build();
    randomizeWeights(m, 21);
    for (const [layer, channels] of Object.entries(c.zero)) zeroOutChannels(m, layer, channels);
    return m;
  };

  it('cuts exactly the constant channels and, with constants folded, predicts the same (1e-5)', async () => {
    const m = model();
    const x = randomInput(c.input);
    const before = tf.memory().numTensors;
    const { model: pruned, recipe } = await pruneStructured({ model: m, ratio: c.ratio });
    expect(Object.fromEntries(recipe.groups.map((g) => [g.key, g.keep]))).toEqual(c.keep);
    expect([m.countParams(), pruned.countParams()]).toEqual(c.params);
    expect(maxAbsDiff(await predictArray(m, x), await predictArray(pruned, x))).toBeLessThan(1e-5);
    pruned.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('without folding the constants, predictions do move (the fold is doing the work)', async () => {
    const m = model();
    const x = randomInput(c.input);
    const { model: pruned } = await pruneStructured({ model: m, ratio: c.ratio, foldConstants: false });
    expect(maxAbsDiff(await predictArray(m, x), await predictArray(pruned, x))).toBeGreaterThan(1e-3);
    pruned.dispose();
    x.dispose();
  });

  it('saves and loads in stock tfjs with the smaller shapes', async () => {
    const m = model();
    const x = randomInput(c.input);
    const { model: pruned } = await pruneStructured({ model: m, ratio: c.ratio });
    const loaded = await roundTrip(pruned);
    expect(loaded.countParams()).toBe(c.params[1]);
    expect(maxAbsDiff(await predictArray(pruned, x), await predictArray(loaded, x))).toBe(0);
    tf.dispose([pruned, loaded, x] as unknown as tf.Tensor[]);
  });

  it('replays its JSON recipe on a reloaded copy to an identical model', async () => {
    const m = model();
    randomizeWeights(m, 5); // real (non-constant) channels: ranking decides
    const plan = await planStructured({ model: m, ratio: c.ratio, criterion: 'l2' });
    const first = await applyRecipe({ model: m, recipe: plan.recipe });
    const copy = await roundTrip(m);
    const replayed = await applyRecipe({ model: copy, recipe: JSON.parse(JSON.stringify(plan.recipe)) });
    copy.dispose();
    expect(replayed.toJSON(null, false)).toEqual(first.toJSON(null, false));
    const a = first.getWeights().map((t) => Array.from(t.dataSync()));
    const b = replayed.getWeights().map((t) => Array.from(t.dataSync()));
    expect(b).toEqual(a);
    first.dispose();
    replayed.dispose();
  });
});

describe('what structured pruning leaves alone', () => {
  it('an excluded layer keeps every channel it reads or writes', async () => {
    const m = convNet();
    randomizeWeights(m, 2);
    const plan = await planStructured({ model: m, ratio: 0.5, exclude: ['d1'] });
    expect(plan.recipe.groups).toEqual([]);
    expect(plan.recipe.skipped.map((s) => [s.key, s.reasons])).toEqual([
      ['c1', ['excluded layer d1']], ['d1', ['excluded layer d1']], ['out', ['out: softmax activation', 'model output']],
    ]);
  });

  it('warns naming a layer the graph cannot handle and still produces a working model', async () => {
    const m = reshapeNet();
    randomizeWeights(m, 3);
    const warnings: string[] = [];
    const { model: pruned, recipe } = await pruneStructured({ model: m, ratio: 0.5, onWarn: (w) => warnings.push(w) });
    expect(warnings.some((w) => w.includes("'rs' (Reshape)"))).toBe(true);
    expect(recipe.groups.map((g) => g.key)).toEqual(['d2']);
    expect((pruned.predict(tf.ones([1, 4])) as tf.Tensor).shape).toEqual([1, 2]);
    pruned.dispose();
  });
});

it('folds constants in a model with a free input size (probed at 32×32)', async () => {
  const x = tf.input({ shape: [null, null, 1] as unknown as number[], name: 'img' });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'c' }).apply(x) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c2' }).apply(c) as tf.SymbolicTensor;
  const g = tf.layers.globalMaxPooling2d({ name: 'g' }).apply(c2) as tf.SymbolicTensor;
  const m = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2, name: 'o' }).apply(g) as tf.SymbolicTensor });
  randomizeWeights(m, 1);
  zeroOutChannels(m, 'c', [0, 3]);
  const warnings: string[] = [];
  const { model: pruned, recipe } = await pruneStructured({ model: m, ratio: 0.5, overrides: [{ match: 'c2', sparsity: 0 }], onWarn: (w) => warnings.push(w) });
  expect(warnings).toEqual([]);
  expect(recipe.groups.map((g) => [g.key, g.keep])).toEqual([['c', [1, 2]]]);
  expect(pruned.countParams()).toBe(2 * 9 + 2 + 2 * 9 * 4 + 4 + 4 * 2 + 2);
  const input = randomInput([1, 10, 10, 1]);
  expect(maxAbsDiff(await predictArray(m, input), await predictArray(pruned, input))).toBeLessThan(1e-5);
  pruned.dispose();
  input.dispose();
});

it('leaves a nested model whole (weights copied as they are) and cuts around it', async () => {
  const inner = tf.sequential({ name: 'inner', layers: [
    tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu', name: 'i1' }),
    tf.layers.dense({ units: 4, name: 'i2' }),
  ] });
  const x = tf.input({ shape: [3], name: 'x' });
  const h = tf.layers.dense({ units: 6, activation: 'relu', name: 'h' }).apply(x) as tf.SymbolicTensor;
  const n = inner.apply(h) as tf.SymbolicTensor;
  const g = tf.layers.dense({ units: 6, activation: 'relu', name: 'g' }).apply(n) as tf.SymbolicTensor;
  const m = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2, name: 'o' }).apply(g) as tf.SymbolicTensor });
  randomizeWeights(m, 6);
  zeroOutChannels(m, 'g', [0, 1, 2]);
  const warnings: string[] = [];
  const { model: pruned, recipe } = await pruneStructured({ model: m, ratio: 0.5, onWarn: (w) => warnings.push(w) });
  expect(warnings).toEqual(["layer 'inner' (Sequential): nested model; channels around it are left unpruned"]);
  expect(recipe.groups.map((gr) => [gr.key, gr.keep])).toEqual([['g', [3, 4, 5]]]);
  const input = randomInput([2, 3]);
  expect(maxAbsDiff(await predictArray(m, input), await predictArray(pruned, input))).toBeLessThan(1e-5);
  pruned.dispose();
  input.dispose();
});

describe('recipes from outside are checked', () => {
  const good = (): StructuredRecipe => ({
    format: 'shrinkml.prune.structured', version: 1, criterion: 'l1', ratio: 0.5, foldConstants: true,
    groups: [{ key: 'c1', size: 4, keep: [0, 2], layers: [] }], skipped: [],
  });
  it.each([
    ['unknown group', (r: StructuredRecipe) => { r.groups[0].key = 'nope'; }, "group 'nope' does not exist"],
    ['wrong size', (r: StructuredRecipe) => { r.groups[0].size = 5; }, 'has 4 channels in this model'],
    ['channel out of range', (r: StructuredRecipe) => { r.groups[0].keep = [0, 4]; }, 'out of range'],
    ['unsorted keep', (r: StructuredRecipe) => { r.groups[0].keep = [2, 0]; }, 'strictly ascending'],
    ['pinned group', (r: StructuredRecipe) => { r.groups[0] = { key: 'out', size: 3, keep: [0], layers: [] }; }, 'cannot be cut'],
    ['wrong format', (r: StructuredRecipe) => { (r as { format: string }).format = 'x'; }, 'format must be'],
  ])('%s', async (_n, mutate, message) => {
    const m = convNet();
    const r = good();
    mutate(r);
    await expect(applyRecipe({ model: m, recipe: r })).rejects.toSatisfy((e: unknown) => isShrinkmlError(e) && e.code === 'BAD_INPUT' && e.message.includes(message));
  });
});
