import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { scaleWidth, shrinkWidth } from '../../src/distill/index.js';
import { getArchitecture } from '../../src/zoo/index.js';

let before = 0;
beforeEach(() => { before = tf.memory().numTensors; });
afterEach(() => { expect(tf.memory().numTensors).toBe(before); });

function residual(): tf.LayersModel {
  const x = tf.input({ shape: [6], name: 'x' });
  const skip = tf.layers.dense({ units: 6, name: 'joined_with_input' }).apply(x) as tf.SymbolicTensor;
  const a = tf.layers.add({ name: 'add_input' }).apply([x, skip]) as tf.SymbolicTensor;
  const h1 = tf.layers.dense({ units: 16, activation: 'relu', name: 'h1' }).apply(a) as tf.SymbolicTensor;
  const h2 = tf.layers.dense({ units: 16, name: 'h2' }).apply(h1) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(h2) as tf.SymbolicTensor;
  const b = tf.layers.add({ name: 'add_hidden' }).apply([h1, bn]) as tf.SymbolicTensor;
  const c = tf.layers.dense({ units: 12, name: 'concat_in' }).apply(b) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([b, c]) as tf.SymbolicTensor;
  const joinedCat = tf.layers.dense({ units: 28, name: 'joined_with_concat' }).apply(cat) as tf.SymbolicTensor;
  const d = tf.layers.add({ name: 'add_cat' }).apply([cat, joinedCat]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'out' }).apply(d) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.softmax({ name: 'probs' }).apply(out) as tf.SymbolicTensor, name: 'resnet' });
}

/** Add([concat(a, b), skip]) is the output: its width must stay, so a and b cannot shrink either. */
function concatIntoOutput(): tf.LayersModel {
  const x = tf.input({ shape: [4] });
  const a = tf.layers.dense({ units: 8, name: 'a' }).apply(x) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 8, name: 'b' }).apply(x) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
  const skip = tf.layers.dense({ units: 16, name: 'skip' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.add().apply([cat, skip]) as tf.SymbolicTensor });
}

function reshaped(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 12, name: 'before_reshape' }),
      tf.layers.reshape({ targetShape: [3, 4] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 16, name: 'after' }),
      tf.layers.dense({ units: 3, name: 'out' }),
    ],
  });
}

function widths(model: tf.LayersModel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of model.layers) {
    const c = l.getConfig() as { units?: number; filters?: number };
    if (c.units ?? c.filters) out[l.name] = (c.units ?? c.filters)!;
  }
  return out;
}

describe('shrinkWidth', () => {
  it.each([
    [0.25, 1, { fc1: 75, fc2: 25, fc3: 10 }],
    [0.1, 1, { fc1: 30, fc2: 10, fc3: 10 }],
    [0.25, 8, { fc1: 72, fc2: 24, fc3: 10 }],
    [0.01, 8, { fc1: 8, fc2: 8, fc3: 10 }],
  ])('LeNet-300-100 at %s (multiples of %s): %j', async (factor, roundTo, expected) => {
    const teacher = getArchitecture('mnist-lenet-300-100').build(1);
    const { model, changes } = await shrinkWidth(teacher, factor, { roundTo });
    expect(widths(model)).toEqual(expected);
    expect(changes.find((c) => c.layer === 'fc3')?.constraint).toBe('output');
    expect(model.outputs[0].shape).toEqual([null, 10]);
    expect(model.countParams()).toBe(784 * expected.fc1 + expected.fc1 + expected.fc1 * expected.fc2 + expected.fc2 + expected.fc2 * 10 + 10);
    teacher.dispose();
    model.dispose();
  });

  it.each([
    ['residual + concat', residual, [2, 6], { joined_with_input: 6, h1: 8, h2: 8, concat_in: 6, joined_with_concat: 14, out: 3 }, {
      joined_with_input: 'joined with a fixed width', joined_with_concat: 'joined with a concat or flatten', out: 'output',
    }],
    ['concat joined with the output', concatIntoOutput, [2, 4], { a: 8, b: 8, skip: 16 }, {
      a: 'joined with a concat or flatten', b: 'joined with a concat or flatten', skip: 'output',
    }],
    ['reshape', reshaped, [2, 4], { before_reshape: 12, after: 8, out: 3 }, { before_reshape: 'joined with a fixed width', out: 'output' }],
  ] as [string, () => tf.LayersModel, number[], Record<string, number>, Record<string, string>][])(
    '%s: widths joined by Add stay equal, fixed ones stay fixed', async (_name, build, inputShape, expected, constraints) => {
      const teacher = build();
      const { model, changes } = await shrinkWidth(teacher, 0.5);
      expect(widths(model)).toEqual(expected);
      expect(Object.fromEntries(changes.filter((c) => c.constraint).map((c) => [c.layer, c.constraint]))).toEqual(constraints);
      const x = tf.ones(inputShape);
      const [y, t] = [model.predict(x) as tf.Tensor, teacher.predict(x) as tf.Tensor];
      expect(y.shape).toEqual(t.shape);
      tf.dispose([x, y, t]);
      teacher.dispose();
      model.dispose();
    });

  it('scales conv filters of the mnist-teacher CNN to a quarter and keeps its output', async () => {
    const teacher = getArchitecture('mnist-teacher').build(1);
    const { model } = await shrinkWidth(teacher, 0.25);
    // Expected from the teacher's own widths, so the test follows src/zoo's architecture as it evolves.
    const expected = Object.fromEntries(Object.entries(widths(teacher)).map(([name, w]) => [name, name === 'fc2' ? w : Math.round(w / 4)]));
    const got = widths(model);
    const x = tf.zeros([1, 28, 28, 1]);
    const y = model.predict(x) as tf.Tensor;
    const [shape, studentParams, teacherParams] = [y.shape, model.countParams(), teacher.countParams()];
    tf.dispose([x, y]);
    teacher.dispose();
    model.dispose();
    expect(got).toEqual(expected);
    expect(Object.keys(got).filter((k) => k.startsWith('conv')).length).toBeGreaterThan(0);
    expect(studentParams).toBeLessThan(teacherParams / 10);
    expect(shape).toEqual([1, 10]);
  });

  it('gives fresh weights, the same for the same seed and different for another', async () => {
    const teacher = getArchitecture('mnist-lenet-300-100').build(1);
    const [a, b, c] = await Promise.all([1, 1, 2].map((seed) => shrinkWidth(teacher, 0.5, { seed })));
    const first = (m: tf.LayersModel) => Array.from(m.getWeights()[0].dataSync().slice(0, 50));
    expect(first(a.model)).toEqual(first(b.model));
    expect(first(a.model)).not.toEqual(first(c.model));
    // Not a slice of the teacher's weights.
    expect(first(a.model)).not.toEqual(Array.from(teacher.getWeights()[0].dataSync().slice(0, 50)));
    [a, b, c].forEach((r) => r.model.dispose());
    teacher.dispose();
  });

  it('makes frozen layers trainable again (fresh weights must train)', async () => {
    const teacher = getArchitecture('mnist-lenet-300-100').build(1);
    teacher.layers[0].trainable = false;
    const { model } = await shrinkWidth(teacher, 0.5);
    expect(model.layers.every((l) => l.trainable)).toBe(true);
    teacher.dispose();
    model.dispose();
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects factor %s naming --student-width', async (factor) => {
    const teacher = getArchitecture('mnist-lenet-300-100').build(1);
    const error = await shrinkWidth(teacher, factor).then(() => null, (e) => e);
    expect(error).toBeInstanceOf(ShrinkmlError);
    expect(error.subject).toBe('--student-width');
    teacher.dispose();
  });

  it.each([
    [300, 0.25, 1, 75], [300, 0.25, 8, 72], [10, 0.01, 1, 1], [10, 0.01, 8, 8], [4, 0.01, 8, 4], [3, 0.5, 1, 2],
  ])('scaleWidth(%s, %s, roundTo %s) = %s', (width, factor, roundTo, expected) => {
    expect(scaleWidth(width, factor, roundTo)).toBe(expected);
  });
});
