import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldBatchNorm } from '../../src/quantize/fold.js';
import { ModelGraph } from '../../src/quantize/graph.js';
import { prepareFloat } from '../../src/quantize/prepare.js';
import { useWasm } from './helpers.js';
import { cnn, functional, maxDiff, mlp } from './models.js';

beforeAll(useWasm);

describe('foldBatchNorm', () => {
  it('scales each output channel and moves the mean into the bias', () => {
    // kernel [2 in, 2 out], eps 0.25; channel 0: gamma 2, var 3.75 -> s = 1; channel 1: gamma 1, var 0 -> s = 2
    const r = foldBatchNorm({
      kernel: Float32Array.from([1, 2, 3, 4]), bias: Float32Array.from([10, 20]),
      bn: { gamma: Float32Array.from([2, 1]), beta: Float32Array.from([0.5, -1]), mean: Float32Array.from([4, 5]),
        variance: Float32Array.from([3.75, 0]), epsilon: 0.25 },
    });
    expect(Array.from(r.kernel)).toEqual([1, 4, 3, 8]);
    expect(Array.from(r.bias)).toEqual([(10 - 4) * 1 + 0.5, (20 - 5) * 2 - 1]);
    const s = foldBatchNorm({
      kernel: Float32Array.from([1, 2, 3, 4]), bn: { mean: Float32Array.from([4, 5]), variance: Float32Array.from([3, 0.0625]), epsilon: 1 },
    });
    // s = [1/2, 1/sqrt(1.0625)]; no bias, no gamma/beta
    expect(Array.from(s.kernel)).toEqual([0.5, 2 / Math.sqrt(1.0625), 1.5, 4 / Math.sqrt(1.0625)].map(Math.fround));
    expect(Array.from(s.bias)).toEqual([-2, -5 / Math.sqrt(1.0625)].map(Math.fround));
  });
});

describe('prepareFloat', () => {
  it.each([
    ['mlp', mlp, [12], [], [{ layer: 'relu2', activation: 'relu', into: 'fc2' }], ['fc1', 'fc2', 'fc3']],
    ['cnn', cnn, [8, 8, 2], [{ batchNorm: 'bn1', into: 'conv1' }], [{ layer: 'relu1', activation: 'relu', into: 'conv1' }],
      ['conv1', 'pool1', 'conv2', 'flatten', 'fc']],
    ['functional', functional, [12], [{ batchNorm: 'bn_a', into: 'dense_a' }], [{ layer: 'relu_a', activation: 'relu', into: 'dense_a' }],
      ['x', 'dense_a', 'dense_b', 'add', 'head']],
  ] as const)('%s: folds and fuses, and computes the same function', async (_n, build, shape, folded, fused, layers) => {
    const model = build();
    const before = tf.memory().numTensors;
    const r = await prepareFloat({ model, targets: () => true, foldBatchNorm: true, fuseActivations: true });
    expect(r.folded).toEqual(folded);
    expect(r.fused).toEqual(fused);
    expect(r.model.layers.map((l) => l.name)).toEqual(layers);
    const x = tf.randomUniform([5, ...shape], 0, 1, 'float32', 3);
    expect(maxDiff(model, r.model, x)).toBeLessThan(1e-5);
    x.dispose();
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('leaves layers outside the targets alone', async () => {
    const model = cnn();
    const r = await prepareFloat({ model, targets: (n) => n !== 'conv1', foldBatchNorm: true, fuseActivations: true });
    expect(r.folded).toEqual([]);
    expect(r.model.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    r.model.dispose();
    model.dispose();
  });
});

describe('ModelGraph', () => {
  it('rewires consumers and outputs when removing a layer of a functional model', async () => {
    const model = functional();
    const g = ModelGraph.fromModel(model);
    expect(g.consumers('dense_a')).toEqual({ layers: ['bn_a'], isOutput: false });
    expect(g.consumers('x').layers).toEqual(['dense_a', 'dense_b']);
    g.remove('bn_a');
    expect(g.consumers('dense_a')).toEqual({ layers: ['relu_a'], isOutput: false });
    g.remove('relu_a');
    expect(g.consumers('dense_a').layers).toEqual(['add']);
    const rebuilt = await g.build();
    expect(rebuilt.layers.map((l) => l.name)).toEqual(['x', 'dense_a', 'dense_b', 'add', 'head']);
    rebuilt.dispose();
    model.dispose();
  });
});
