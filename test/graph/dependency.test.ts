import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDependencyGraph, buildGraph, keptIndices } from '../../src/graph/index.js';
import { concatNet, convNet, reshapeNet, residualNet, squeezeExciteNet } from './models.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

const summary = (model: tf.LayersModel) => buildDependencyGraph(model).groups
  .map((g) => ({ key: g.key, size: g.size, layers: g.layers, cuttable: g.pinned.length === 0 }));

describe('buildGraph', () => {
  it('includes the hidden InputLayer of a Sequential model and orders producers first', () => {
    const g = buildGraph(convNet());
    expect(g.nodes.map((n) => n.className)).toEqual(['InputLayer', 'Conv2D', 'BatchNormalization', 'Activation', 'MaxPooling2D', 'Flatten', 'Dense', 'Dropout', 'Dense']);
    expect(g.byName.get('c1')!.weights.map((w) => [w.role, w.shape])).toEqual([['kernel', [3, 3, 1, 4]], ['bias', [4]]]);
    expect(g.byName.get('bn1')!.outputs).toEqual(['r1']);
    expect(g.outputs).toEqual(['out']);
  });

  it('records both inputs of an Add in call order', () => {
    const g = buildGraph(residualNet());
    expect(g.byName.get('sum')!.inputs).toEqual(['bn_a', 'b']);
    expect(g.inputs).toEqual(['x']);
  });
});

describe('buildDependencyGraph', () => {
  it.each([
    ['sequential conv/BN/flatten', convNet, [
      { key: '(c1)', size: 1, layers: ['c1'], cuttable: false },
      { key: 'c1', size: 4, layers: ['c1', 'bn1', 'd1'], cuttable: true },
      { key: 'd1', size: 5, layers: ['d1', 'out'], cuttable: true },
      { key: 'out', size: 3, layers: ['out'], cuttable: false },
    ]],
    ['residual Add couples both convs', residualNet, [
      { key: '(a+b)', size: 2, layers: ['a', 'b'], cuttable: false },
      { key: 'a+b', size: 4, layers: ['a', 'bn_a', 'b', 'c'], cuttable: true },
      { key: 'c', size: 3, layers: ['c', 'out'], cuttable: true },
      { key: 'out', size: 2, layers: ['out'], cuttable: false },
    ]],
    ['concatenate keeps branches separate', concatNet, [
      { key: '(a+b)', size: 2, layers: ['a', 'b'], cuttable: false },
      { key: 'a', size: 3, layers: ['a', 'dw', 'c'], cuttable: true },
      { key: 'b', size: 5, layers: ['b', 'dw', 'c'], cuttable: true },
      { key: 'c', size: 4, layers: ['c', 'out'], cuttable: true },
      { key: 'out', size: 2, layers: ['out'], cuttable: false },
    ]],
    ['squeeze-excite: the gate joins the features it scales', squeezeExciteNet, [
      { key: '(a)', size: 3, layers: ['a'], cuttable: false },
      { key: 'a+s2', size: 8, layers: ['a', 's1', 's2', 'c'], cuttable: true },
      { key: 's1', size: 2, layers: ['s1', 's2'], cuttable: true },
      { key: 'c', size: 4, layers: ['c', 'out'], cuttable: true },
      { key: 'out', size: 2, layers: ['out'], cuttable: false },
    ]],
  ])('%s', (_name, build, expected) => {
    expect(summary(build())).toEqual(expected);
  });

  it('maps a channels-last Flatten to Dense rows c, c+C, c+2C, …', () => {
    const dep = buildDependencyGraph(convNet());
    const rows = dep.bindings.find((b) => b.layer === 'd1' && b.kind === 'in')!;
    expect(rows.layout.repeat).toBe(9); // 3×3 positions after pooling
    const c1 = rows.layout.segments[0].space;
    const kept = keptIndices(rows.layout, (s) => (dep.rootOf(s) === dep.rootOf(c1) ? [1, 3] : undefined));
    expect(kept).toEqual(Array.from({ length: 9 }, (_, r) => [r * 4 + 1, r * 4 + 3]).flat());
  });

  it('offsets a Concatenate: the second branch starts after the first', () => {
    const dep = buildDependencyGraph(concatNet());
    const rows = dep.bindings.find((b) => b.layer === 'c' && b.kind === 'in')!;
    const ga = dep.groups.find((g) => g.key === 'a')!;
    const gb = dep.groups.find((g) => g.key === 'b')!;
    const keep = (s: number): number[] | undefined => (dep.groupOf(s) === ga ? [0, 2] : dep.groupOf(s) === gb ? [1, 2, 4] : undefined);
    expect(keptIndices(rows.layout, keep)).toEqual([0, 2, 4, 5, 7]);
  });

  it('pins channels around a layer it does not understand and warns naming it', () => {
    const dep = buildDependencyGraph(reshapeNet());
    expect(dep.warnings).toEqual(["layer 'rs' (Reshape): reshape changes the channel axis; channels around it are left unpruned"]);
    expect(dep.groups.find((g) => g.key === 'd1')!.pinned).toEqual(['rs: reshape changes the channel axis']);
    expect(dep.groups.find((g) => g.key === 'd2')!.pinned).toEqual([]);
  });

  it('pins channels around a layer class it does not know, naming it', () => {
    const m = tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [4], units: 6, name: 'd1' }),
      tf.layers.permute({ dims: [1], name: 'perm' }),
      tf.layers.dense({ units: 2, name: 'o' }),
    ] });
    const dep = buildDependencyGraph(m);
    expect(dep.warnings).toEqual(["layer 'perm' (Permute): the dependency graph does not know layer class Permute; channels around it are left unpruned"]);
    expect(dep.groups.find((g) => g.key === 'd1')!.pinned.length).toBe(1);
  });

  it('pins a hidden Dense with softmax (its units are coupled by the normalisation)', () => {
    const m = tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [3], units: 4, activation: 'softmax', name: 's' }),
      tf.layers.dense({ units: 2, name: 'o' }),
    ] });
    expect(buildDependencyGraph(m).groups.find((g) => g.key === 's')!.pinned).toEqual(['s: softmax activation']);
  });
});
