import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURES, getArchitecture } from '../../src/zoo/index.js';

describe('zoo', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('lists the four fixed names', () => {
    expect(ARCHITECTURES.map((a) => a.name)).toEqual(['mnist-lenet-300-100', 'mnist-residual', 'mnist-lenet5', 'mnist-teacher']);
  });

  it.each([
    ['mnist-lenet-300-100', 266_610, [null, 784], 'Sequential'],
    ['mnist-residual', 118_282, [null, 784], 'Model'],
    ['mnist-lenet5', 61_794, [null, 28, 28, 1], 'Sequential'],
    ['mnist-teacher', 207_066, [null, 28, 28, 1], 'Sequential'],
  ])('%s has %i parameters and input %j', (name, params, inputShape, className) => {
    const arch = getArchitecture(name);
    const model = arch.build(1);
    expect(model.countParams()).toBe(params);
    expect(model.inputs[0]!.shape).toEqual(inputShape);
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
    expect(model.getClassName()).toBe(className);
    expect(model.name).toBe(name);
    expect(arch.inputShape).toEqual(inputShape.slice(1));
    model.dispose();
  });

  it('the residual model has an Add layer fed by both dense layers', () => {
    const model = getArchitecture('mnist-residual').build(1);
    const add = model.getLayer('skip');
    expect(add.getClassName()).toBe('Add');
    expect(add.inboundNodes[0]!.inboundLayers.map((l) => l.name)).toEqual(['fc1', 'fc2']);
    model.dispose();
  });

  it('the lenet5 model has the BatchNormalization layers', () => {
    const model = getArchitecture('mnist-lenet5').build(1);
    expect(model.layers.map((l) => l.getClassName()).filter((c) => c === 'BatchNormalization')).toHaveLength(2);
    model.dispose();
  });

  it.each(ARCHITECTURES.map((a) => [a.name]))('%s: same seed gives identical weights, another seed different ones', (name) => {
    const arch = getArchitecture(name);
    const [a, b, c] = [arch.build(5), arch.build(5), arch.build(6)];
    const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
    const wa = weights(a);
    expect(weights(b)).toEqual(wa);
    expect(weights(c)[0]).not.toEqual(wa[0]);
    // Two kernels of a model never share values: each layer has its own seed stream.
    expect(wa[0]!.slice(0, 5)).not.toEqual(wa[2]!.slice(0, 5));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('names the known architectures for an unknown one', () => {
    expect(() => getArchitecture('resnet50')).toThrow("unknown architecture 'resnet50'");
    try { getArchitecture('resnet50'); } catch (e) { expect((e as { suggestion: string }).suggestion).toContain('mnist-teacher'); }
  });
});
