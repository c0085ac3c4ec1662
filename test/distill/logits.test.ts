import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { distillationLoss, logitsOf } from '../../src/distill/index.js';
import { registerKernels } from '../../kernels/index.js';
import { QatDense } from '../../src/quantize/qat/layers.js';
import { seededInit } from '../../src/zoo/index.js';

type Build = () => tf.LayersModel;

function dense(units: number, activation: 'softmax' | 'linear' | 'relu' | 'sigmoid', init: ReturnType<typeof seededInit>, name?: string, inputShape?: number[]) {
  return tf.layers.dense({ units, activation, kernelInitializer: init.kernel(), biasInitializer: 'ones', name, ...(inputShape ? { inputShape } : {}) });
}

const BUILDERS: [string, boolean, Build][] = [
  ['sequential Dense(softmax)', true, () => {
    const init = seededInit(1);
    return tf.sequential({ layers: [dense(5, 'relu', init, undefined, [4]), dense(3, 'softmax', init)] });
  }],
  ['sequential Dense + Activation(softmax)', true, () => {
    const init = seededInit(2);
    return tf.sequential({ layers: [dense(5, 'relu', init, undefined, [4]), dense(3, 'linear', init), tf.layers.activation({ activation: 'softmax' })] });
  }],
  ['sequential Dense + Softmax layer', true, () => {
    const init = seededInit(3);
    return tf.sequential({ layers: [dense(5, 'relu', init, undefined, [4]), dense(3, 'linear', init), tf.layers.softmax()] });
  }],
  ['single Dense(softmax) on the input', true, () => tf.sequential({ layers: [dense(3, 'softmax', seededInit(4), undefined, [4])] })],
  ['functional Dense(softmax)', true, () => {
    const init = seededInit(5);
    const x = tf.input({ shape: [4] });
    const h = dense(5, 'relu', init).apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: x, outputs: dense(3, 'softmax', init).apply(h) as tf.SymbolicTensor });
  }],
  ['linear output (already logits)', false, () => {
    const init = seededInit(6);
    return tf.sequential({ layers: [dense(5, 'relu', init, undefined, [4]), dense(3, 'linear', init)] });
  }],
];

let before = 0;
beforeEach(() => { before = tf.memory().numTensors; });
afterEach(() => { expect(tf.memory().numTensors).toBe(before); });

/** The reference logits: the same architecture with the softmax removed, weights copied. */
function referenceLogits(model: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  const json = model.toJSON(null, false) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  return tf.tidy(() => {
    let h = x;
    const weights = model.getWeights();
    let w = 0;
    for (const layer of json.config.layers ?? []) {
      if (layer.class_name === 'Dense') {
        h = tf.add(tf.matMul(h, weights[w]), weights[w + 1]);
        w += 2;
        if (layer.config.activation === 'relu') h = tf.relu(h);
      }
    }
    return h;
  });
}

describe('logitsOf', () => {
  it.each(BUILDERS)('%s: logits are the pre-softmax values', (_name, fromSoftmax, build) => {
    const model = build();
    const x = tf.tensor2d([[0.1, -0.2, 0.3, 0.5], [1, 0, -1, 2]]);
    const view = logitsOf(model);
    expect(view.fromSoftmax).toBe(fromSoftmax);
    const [logits, probs, softmaxed, reference] = tf.tidy(() => {
      const z = view.logits(x, false);
      // A softmax model's probabilities are softmax(logits); a linear model's output is the logits themselves.
      return [z, model.predict(x) as tf.Tensor, fromSoftmax ? tf.softmax(z) : z.clone(), referenceLogits(model, x)];
    });
    expect(logits.shape).toEqual([2, 3]);
    const [a, b] = [Array.from(softmaxed.dataSync()), Array.from(probs.dataSync())];
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
    const [r, z] = [Array.from(reference.dataSync()), Array.from(logits.dataSync())];
    r.forEach((v, i) => expect(z[i]).toBeCloseTo(v, 5));
    tf.dispose([x, logits, probs, softmaxed, reference]);
    model.dispose();
  });

  it('reads the logits of a QAT layer with a fused softmax (distillation during QAT)', async () => {
    await registerKernels(); // FakeQuant
    const init = seededInit(9);
    const model = tf.sequential({ layers: [dense(5, 'relu', init, undefined, [4]), new QatDense({ units: 3, activation: 'softmax', name: 'qat_out' })] });
    const x = tf.tensor2d([[0.1, -0.2, 0.3, 0.5], [1, 0, -1, 2]]);
    const view = logitsOf(model);
    const [z, probs, softmaxed] = tf.tidy(() => {
      const logits = view.logits(x, false);
      return [logits, model.predict(x) as tf.Tensor, tf.softmax(logits)];
    });
    expect(view.fromSoftmax).toBe(true);
    const rowSums = tf.tidy(() => tf.sum(z, -1));
    expect(Array.from(rowSums.dataSync()).some((v) => Math.abs(v) > 1e-3)).toBe(true); // not probabilities
    Array.from(softmaxed.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(probs.dataSync()[i], 5));
    expect((model.getLayer('qat_out') as unknown as { activation: string }).activation).toBe('softmax'); // swap undone
    tf.dispose([x, z, probs, softmaxed, rowSums]);
    model.dispose();
  });

  it('lets gradients reach the softmax layer’s own kernel (the student trains through it)', () => {
    const model = BUILDERS[0][2]();
    const kernel = model.layers[1].trainableWeights[0].read() as tf.Variable;
    const x = tf.tensor2d([[0.1, -0.2, 0.3, 0.5]]);
    const { value, grads } = tf.variableGrads(() => tf.sum(logitsOf(model).logits(x, true)) as tf.Scalar, [kernel]);
    const g = grads[kernel.name];
    const largest = tf.tidy(() => tf.max(tf.abs(g)));
    expect(largest.dataSync()[0]).toBeGreaterThan(0.1);
    tf.dispose([x, value, g, largest]);
    model.dispose();
  });

  it('keeps the loss finite for a confident softmax teacher, where log(probabilities) is -Infinity', () => {
    const init = seededInit(7);
    const teacher = tf.sequential({ layers: [dense(3, 'softmax', init, undefined, [2])] });
    const weights = [tf.tensor2d([[200, 0, -200], [0, 0, 0]]), tf.tensor1d([0, 0, 0])];
    teacher.setWeights(weights);
    tf.dispose(weights);
    const x = tf.tensor2d([[1, 0]]);
    const [naive, ours] = tf.tidy(() => {
      const logProbs = tf.log(teacher.predict(x) as tf.Tensor); // what we must never do
      const y = tf.tensor1d([0], 'int32');
      const student = tf.tensor2d([[0, 1, 2]]);
      return [logProbs, distillationLoss({ temperature: 2, alpha: 0.3 })(y, student, logitsOf(teacher).logits(x, false))];
    });
    expect(naive.dataSync()[2]).toBe(-Infinity);
    expect(Number.isFinite(ours.dataSync()[0])).toBe(true);
    tf.dispose([naive, ours, x]);
    teacher.dispose();
  });

  it.each([
    ['sigmoid output', () => tf.sequential({ layers: [dense(3, 'sigmoid', seededInit(8), 'probs', [4])] }), /layer 'probs'.*'sigmoid'/],
    ['two outputs', () => {
      const x = tf.input({ shape: [4] });
      const a = tf.layers.dense({ units: 3 }).apply(x) as tf.SymbolicTensor;
      const b = tf.layers.dense({ units: 2 }).apply(x) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: [a, b], name: 'twohead' });
    }, /'twohead' has 2 outputs/],
  ] as [string, Build, RegExp][])('rejects a %s as UNSUPPORTED', (_name, build, message) => {
    const model = build();
    try {
      logitsOf(model);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ShrinkmlError);
      expect((e as ShrinkmlError).code).toBe('UNSUPPORTED');
      expect((e as Error).message).toMatch(message);
    }
    model.dispose();
  });
});
