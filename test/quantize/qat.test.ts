import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeQuant } from '../../kernels/index.js';
import { affineParams, qRange } from '../../src/core/numerics.js';
import { evaluateAccuracy } from '../../src/train/evaluate.js';
import { convertQat, parseQuantConfig, prepareQat, QatDense, runQuantizeStep, type LayerReport } from '../../src/quantize/index.js';
import { useWasm } from './helpers.js';
import { cnn, mlp, synthetic } from './models.js';

beforeAll(useWasm);

describe('straight-through estimator', () => {
  it.each(['cpu', 'wasm'])('fakeQuant passes the gradient inside the clip range and zeroes it outside (%s)', async (backend) => {
    await tf.setBackend(backend);
    // scale 0.5, zero point 0, codes [-4, 3]: the real range is [-2, 1.5]; x/scale + zp must lie in [qmin, qmax]
    const x = tf.tensor1d([-3, -2, -1.26, 0, 0.3, 1.5, 1.6, 9]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
    const g = tf.grad((t: tf.Tensor) => fakeQuant({ x: t, scale: 0.5, zeroPoint: 0, qmin: -4, qmax: 3 }))(x, dy);
    expect(Array.from(g.dataSync())).toEqual([0, 2, 3, 4, 5, 6, 0, 0]);
    tf.dispose([x, dy, g]);
    await tf.setBackend('wasm');
  });

  it('QatDense: no gradient reaches inputs outside the frozen activation range; kernel gradient is the STE one', async () => {
    const layer = new QatDense({ units: 2, initMin: -1, initMax: 1, useBias: false, name: 'qat_probe' });
    const x = tf.tensor2d([[0.5, -3]]); // the second input is clipped at -1
    layer.apply(x);
    const w = tf.tensor2d([[0.25, -0.5], [1, 0.125]]);
    layer.setWeights([w]);
    const dx = tf.grad((a: tf.Tensor) => (layer.apply(a) as tf.Tensor).sum())(x);
    const kernel = layer.trainableWeights[0]!.read() as tf.Variable;
    const { grads, value } = tf.variableGrads(() => (layer.apply(x) as tf.Tensor).sum() as tf.Scalar, [kernel]);
    const dw = grads[kernel.name]!;
    // d sum / dx_j = Σ_n fq(w)[j, n] inside the range, 0 for the clipped input
    const fqW = fakeQuant({ x: w, scale: [1 / 127, 0.5 / 127], zeroPoint: [0, 0], qmin: -127, qmax: 127 }).arraySync() as number[][];
    expect((dx.arraySync() as number[][])[0]![1]).toBe(0);
    expect((dx.arraySync() as number[][])[0]![0]).toBeCloseTo(fqW[0]![0]! + fqW[0]![1]!, 6);
    // weights: gradient = fq(x) for each column (STE through the weight fake-quant; x clipped to -1)
    const p = affineParams({ min: -1, max: 1, range: qRange() });
    const fqX = fakeQuant({ x, scale: p.scale, zeroPoint: p.zeroPoint, qmin: -128, qmax: 127 }).dataSync();
    expect(dw.arraySync()).toEqual([[fqX[0], fqX[0]], [fqX[1], fqX[1]]]);
    expect(fqX[1]).toBe(Math.fround((-128 - p.zeroPoint) * p.scale)); // the clipped input sits on the lowest code
    tf.dispose([x, w, dx, dw, value]);
    layer.dispose();
  });
});

describe('QAT', () => {
  const train = synthetic({ count: 512, sampleShape: [12], split: 'train', seed: 41 });
  const calibration = synthetic({ count: 128, sampleShape: [12], seed: 42 });

  it('prepareQat wraps the layers, observers keep updating during fit, convertQat returns the trained weights', async () => {
    const model = mlp();
    const config = parseQuantConfig({ mode: 'qat' });
    const qat = await prepareQat({ model, config, ranges: { fc1: { min: 0, max: 1 }, fc2: { min: 0, max: 5 }, fc3: { min: 0, max: 5 } } });
    expect(qat.model.layers.map((l) => l.getClassName())).toEqual(['ShrinkmlQatDense', 'ShrinkmlQatDense', 'Activation', 'ShrinkmlQatDense']);
    qat.model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
    const x = tf.tensor2d(train.x.subarray(0, 64 * 12), [64, 12]);
    const y = tf.oneHot(tf.tensor1d(train.labels!.subarray(0, 64), 'int32'), 3).toFloat();
    await qat.model.trainOnBatch(x, y);
    const fc2 = qat.model.getLayer('fc2') as QatDense;
    expect(fc2.range!.max).not.toBe(5); // moved towards the batch max by 1%
    expect(fc2.range!.max).toBeGreaterThan(4);
    const out = await convertQat(qat);
    expect(out.ranges.fc2).toEqual(fc2.range);
    const trained = qat.model.getLayer('fc1').getWeights()[0]!.dataSync();
    expect(Array.from(out.model.getLayer('fc1').getWeights()[0]!.dataSync())).toEqual(Array.from(trained));
    expect(Array.from(trained)).not.toEqual(Array.from(model.getLayer('fc1').getWeights()[0]!.dataSync()));
    tf.dispose([x, y]);
    qat.model.optimizer.dispose();
    for (const m of [qat.model, out.model, model]) m.dispose();
  });

  it('runQuantizeStep qat: fine-tunes, converts to static int8 and keeps the accuracy of the float model', async () => {
    const model = mlp();
    model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    // a float model worth quantizing: train it first
    const { trainSeeded } = await import('../../src/train/seeded.js');
    await trainSeeded({ model, train, epochs: 30, batchSize: 32, seed: 3 });
    const floatAcc = await evaluateAccuracy(model, calibration);
    expect(floatAcc).toBeGreaterThan(0.9);
    const before = tf.memory().numTensors;
    const r = await runQuantizeStep({ model, spec: 'qat', calibration, train, config: { qat: { epochs: 1, batchSize: 32, learningRate: 1e-3 } } });
    expect(r.report.qat!.epochs).toHaveLength(1);
    expect(r.model.layers.map((l) => l.getClassName())).toEqual(['QuantizedDense', 'QuantizedDense', 'QuantizedDense']);
    expect((r.report.layers as LayerReport[]).every((l) => l.input?.mode === 'static')).toBe(true);
    const int8Acc = await evaluateAccuracy(r.model, calibration);
    expect(int8Acc).toBeGreaterThanOrEqual(floatAcc - 0.01);
    // the int8 model computes what the fake-quantized model computed at the end of training
    expect(Math.abs(int8Acc - r.report.qat!.epochs[0]!.valAcc!)).toBeLessThanOrEqual(2 / calibration.count);
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.optimizer.dispose();
    model.dispose();
  });

  it('QatConv2D trains on wasm (conv gradients through the fake-quant STE) and converts to QuantizedConv2D', async () => {
    const model = cnn();
    const images = synthetic({ count: 96, sampleShape: [8, 8, 2], split: 'train', seed: 43 });
    const before = tf.memory().numTensors;
    const r = await runQuantizeStep({
      model, spec: 'qat', calibration: images, train: images, config: { qat: { epochs: 1, batchSize: 32, learningRate: 1e-3 } },
    });
    expect(r.report.qat!.epochs[0]!.loss).toBeGreaterThan(0);
    expect(r.report.folded).toEqual([{ batchNorm: 'bn1', into: 'conv1' }]);
    expect(r.model.layers.map((l) => l.getClassName())).toEqual(['QuantizedConv2D', 'MaxPooling2D', 'QuantizedConv2D', 'Flatten', 'QuantizedDense']);
    const x = tf.tensor4d(images.x.subarray(0, 4 * 128), [4, 8, 8, 2]);
    const y = r.model.predict(x) as tf.Tensor;
    expect(tf.tidy(() => y.sum(-1).dataSync()).every((v) => Math.abs(v - 1) < 1e-5)).toBe(true);
    tf.dispose([x, y]);
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
