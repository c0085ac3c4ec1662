import * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveLayersModel } from '../../src/formats/index.js';
import { countParams } from '../../src/measure/params.js';
import {
  channelParams, int8ParamCounts, int8WeightBits, isFloat16Exact, quantizeWeight, runQuantizeStep, type LayerReport,
} from '../../src/quantize/index.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { useWasm } from './helpers.js';
import { stockLoad } from './io.js';
import { cnn, functional, maxDiff, mlp, synthetic } from './models.js';

let tmp: string;
beforeAll(async () => {
  await useWasm();
  tmp = await makeTmpDir('shrinkml-quantize-');
});
afterAll(() => removeTmpDir(tmp));

const CASES = [
  ['mlp dynamic', mlp, [12], 'dynamic', ['QuantizedDense', 'QuantizedDense', 'QuantizedDense'], 0.01],
  ['mlp static', mlp, [12], 'static', ['QuantizedDense', 'QuantizedDense', 'QuantizedDense'], 0.01],
  ['cnn dynamic', cnn, [8, 8, 2], 'dynamic', ['QuantizedConv2D', 'MaxPooling2D', 'QuantizedConv2D', 'Flatten', 'QuantizedDense'], 0.01],
  ['cnn static', cnn, [8, 8, 2], 'static', ['QuantizedConv2D', 'MaxPooling2D', 'QuantizedConv2D', 'Flatten', 'QuantizedDense'], 0.01],
] as const;

describe('runQuantizeStep: int8', () => {
  it.each(CASES)('%s: int8 layers, close to float, round-trips through save/load', async (name, build, shape, mode, classes, tol) => {
    const model = build();
    const calibration = synthetic({ count: 64, sampleShape: [...shape] });
    const before = tf.memory().numTensors;
    const r = await runQuantizeStep({ model, spec: mode, calibration, calibSamples: 48 });
    expect(r.model.layers.map((l) => l.getClassName())).toEqual(classes);
    expect(r.report.layers.every((l) => (l as LayerReport).status === 'int8')).toBe(true);
    expect(r.report.warnings).toEqual([]);
    expect(r.saveOptions.shrinkml).toMatchObject({ format: 1, quantization: { mode, perChannel: true, bits: 8 } });
    if (mode === 'static') {
      expect(r.report.calibration).toMatchObject({ samples: 48, observers: expect.any(Object) });
      for (const l of r.report.layers as LayerReport[]) expect(l.input).toMatchObject({ mode: 'static', scale: expect.any(Number) });
    }
    if (name.startsWith('cnn')) expect(r.report.folded).toEqual([{ batchNorm: 'bn1', into: 'conv1' }]);

    const x = tf.tensor(calibration.x.subarray(0, 8 * shape.reduce((a, b) => a * b, 1)), [8, ...shape]);
    expect(maxDiff(model, r.model, x)).toBeLessThan(tol);

    // save → shrinkml loader and stock tf.loadLayersModel (with the runtime registered) give identical outputs
    const out = path.join(tmp, name.replace(' ', '-'));
    await saveLayersModel(r.model, out, r.saveOptions);
    const loaded = await loadModel(out);
    expect(loaded.meta.shrinkml).toMatchObject({ format: 1 });
    expect(maxDiff(r.model, loaded.model as tf.LayersModel, x)).toBe(0);
    const stock = await stockLoad(out);
    expect(maxDiff(r.model, stock.model, x)).toBe(0);
    const manifest = (stock.json.weightsManifest as { weights: { name: string; dtype: string }[] }[])[0]!.weights;
    expect(manifest.filter((w) => w.name.endsWith('/kernel_q')).every((w) => w.dtype === 'int32')).toBe(true);
    const layerJson = JSON.stringify(stock.json.modelTopology);
    expect(layerJson).toContain(mode === 'static' ? '"input_quant":{"scale"' : '"input_quant":null');

    // inspect: 8 bits for the packed kernels, and their true parameter counts
    const bits = int8WeightBits(loaded.model as tf.LayersModel);
    expect(Object.values(bits)).toEqual(classes.filter((c) => c.startsWith('Quantized')).map(() => 8));
    const stats = await countParams({ model: loaded.model as tf.LayersModel, weightBits: bits });
    expect(stats.layers.filter((l) => l.class.startsWith('Quantized')).every((l) => l.weightBits === 8)).toBe(true);
    const counts = int8ParamCounts(loaded.model as tf.LayersModel);
    const firstKernel = model.layers[0]!.weights[0]!.shape.reduce((a, b) => a! * b!, 1);
    expect(Object.values(counts)[0]).toBe(firstKernel);

    tf.dispose(x);
    for (const m of [r.model, loaded.model, stock.model]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('leaves unsupported and excluded layers float, warning about the unsupported ones by name', async () => {
    const model = functional();
    const warnings: string[] = [];
    const r = await runQuantizeStep({
      model, spec: 'static', calibration: synthetic({ count: 32, sampleShape: [12] }), onWarn: (m) => warnings.push(m),
      config: { overrides: [{ match: { name: 'h*' }, exclude: true }] },
    });
    expect(r.model.layers.map((l) => `${l.name}:${l.getClassName()}`)).toEqual(
      ['x:InputLayer', 'dense_a:QuantizedDense', 'dense_b:Dense', 'add:Add', 'head:Dense']);
    expect(warnings).toEqual(["layer 'dense_b' (Dense) stays float: activation 'hard_sigmoid' is not supported by the int8 layers"]);
    expect(r.report.layers.map((l) => [l.name, (l as LayerReport).status, (l as LayerReport).reason])).toEqual([
      ['dense_a', 'int8', undefined],
      ['dense_b', 'float', "activation 'hard_sigmoid' is not supported by the int8 layers"],
      ['head', 'float', 'excluded by an override'],
    ]);
    const x = tf.randomUniform([4, 12], 0, 1, 'float32', 5);
    expect(maxDiff(model, r.model, x)).toBeLessThan(0.03);
    x.dispose();
    r.model.dispose();
    model.dispose();
  });

  it.each([
    ['static', undefined, /--quantize static needs calibration data/],
    ['int4', undefined, /--quantize: unknown mode 'int4'/],
    ['static', { weights: { bits: 9 } }, /weights.bits must be an integer in \[2, 8\]/],
  ] as const)('%s %j is refused', async (spec, config, message) => {
    const model = mlp();
    await expect(runQuantizeStep({ model, spec, config })).rejects.toThrow(message);
    model.dispose();
  });

  it('asymmetric weights: Dense layers get per-channel zero points, Conv2D stays float (its kernel has none)', async () => {
    const model = cnn();
    const warnings: string[] = [];
    const r = await runQuantizeStep({ model, spec: 'dynamic', config: { weights: { symmetric: false, narrowRange: false } }, onWarn: (m) => warnings.push(m) });
    expect(r.model.layers.map((l) => l.getClassName())).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'Flatten', 'QuantizedDense']);
    expect(warnings).toEqual([
      "layer 'conv1' (Conv2D) stays float: asymmetric weights (Conv2DInt8 has no weight zero points)",
      "layer 'conv2' (Conv2D) stays float: asymmetric weights (Conv2DInt8 has no weight zero points)",
    ]);
    expect(r.model.getLayer('fc').weights.map((w) => w.originalName)).toEqual(['fc/kernel_q', 'fc/kernel_scale', 'fc/kernel_zero_point', 'fc/bias']);
    const x = tf.randomUniform([4, 8, 8, 2], 0, 1, 'float32', 6);
    expect(maxDiff(model, r.model, x)).toBeLessThan(0.01);
    x.dispose();
    r.model.dispose();
    model.dispose();
  });

  it('per-tensor weights (--per-channel false) report one scale for every channel', async () => {
    const model = mlp();
    const r = await runQuantizeStep({ model, spec: 'dynamic', perChannel: false });
    for (const l of r.report.layers as LayerReport[]) expect(l.weights!.minScale).toBe(l.weights!.maxScale);
    r.model.dispose();
    model.dispose();
  });
});

describe('runQuantizeStep: int8 scales and biases as float16', () => {
  const values = (m: tf.LayersModel, name: string) => Array.from(m.weights.find((w) => w.originalName === name)!.read().dataSync());

  it.each([
    ['cnn static', cnn, [8, 8, 2], 'static', 1, ['conv1', 'conv2', 'fc'], []],
    ['mlp dynamic, fc1 weights tiny (scales below float16\'s normal range stay float32)', mlp, [12], 'dynamic', 1e-6, ['fc1', 'fc2', 'fc3'], ['fc1/kernel_scale']],
  ] as const)('%s', async (_, build, shape, mode, fc1Factor, layers, float32) => {
    const model = build();
    const first = model.layers[0]!;
    if (fc1Factor !== 1) {
      const scaled = first.getWeights().map((w, i) => (i === 0 ? tf.mul(w, fc1Factor) : w.clone()));
      first.setWeights(scaled);
      tf.dispose(scaled);
    }
    const r = await runQuantizeStep({ model, spec: mode, calibration: synthetic({ count: 32, sampleShape: [...shape] }), calibSamples: 32 });
    const names = layers.flatMap((l) => [`${l}/kernel_scale`, `${l}/bias`]);
    const wanted = Object.fromEntries(names.filter((n) => !float32.includes(n as never)).map((n) => [n, 'float16']));
    expect(r.saveOptions.weightEncodings).toEqual(wanted);
    for (const n of names) expect(isFloat16Exact(values(r.model, n)), n).toBe(!float32.includes(n as never));
    if (fc1Factor !== 1) {
      // kept exactly as computed: the float32 scales of the kernel's quantization
      const kernel = first.getWeights()[0]!;
      const { scales } = channelParams(quantizeWeight({ values: kernel.dataSync(), shape: kernel.shape, config: { bits: 8, perChannel: true, symmetric: true, narrowRange: true } }));
      expect(values(r.model, 'fc1/kernel_scale')).toEqual(Array.from(scales));
      expect(Math.max(...scales)).toBeLessThan(2 ** -14);
    }
    for (const l of r.report.layers as LayerReport[]) {
      const stored = values(r.model, `${l.name}/kernel_scale`);
      expect([l.weights!.minScale, l.weights!.maxScale]).toEqual([Math.min(...stored), Math.max(...stored)]);
    }

    const out = path.join(tmp, `f16-${mode}`);
    const saved = await saveLayersModel(r.model, out, r.saveOptions);
    const { model: stock, json } = await stockLoad(out);
    const entries = (json.weightsManifest as { weights: { name: string; quantization?: { dtype: string } }[] }[])[0]!.weights;
    for (const n of names) expect(entries.find((e) => e.name === n)!.quantization?.dtype, n).toBe(float32.includes(n as never) ? undefined : 'float16');
    for (const w of r.model.weights) expect(values(stock, w.originalName), w.originalName).toEqual(values(r.model, w.originalName));
    const float32Bytes = r.model.weights.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a! * b!, 1)!, 0);
    const halved = names.filter((n) => !float32.includes(n as never)).reduce((s, n) => s + 2 * values(r.model, n).length, 0);
    expect(saved.weightBytes).toBe(float32Bytes - halved);
    for (const m of [r.model, stock, model]) m.dispose();
  });
});

describe('runQuantizeStep: weight-only stock export', () => {
  it.each(['weights:uint8', 'weights:float16'] as const)('%s loads in stock tfjs and matches the dequantized weights; pruned zeros stay zero', async (spec) => {
    const model = cnn();
    // prune: zero every third kernel weight
    for (const layer of model.layers) {
      const ws = layer.getWeights().map((w, i) => (i === 0 && w.rank >= 2 ? tf.tidy(() => tf.mul(w, tf.cast(tf.notEqual(tf.mod(tf.range(0, w.size), 3), 0), 'float32').reshape(w.shape))) : w.clone()));
      if (ws.length) layer.setWeights(ws);
      tf.dispose(ws);
    }
    const warnings: string[] = [];
    const r = await runQuantizeStep({ model, spec, onWarn: (m) => warnings.push(m) });
    expect(warnings).toEqual(spec === 'weights:uint8' ? [expect.stringMatching(/one scale per tensor/)] : []);
    const out = path.join(tmp, spec.replace(':', '-'));
    const saved = await saveLayersModel(r.model, out, r.saveOptions);
    const { model: stock, json } = await stockLoad(out);
    const entries = (json.weightsManifest as { weights: { name: string; quantization?: { dtype: string; scale?: number; min?: number } }[] }[])[0]!.weights;
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('conv1/kernel')!.quantization!.dtype).toBe(spec.slice(8));
    expect(byName.get('conv1/bias')!.quantization?.dtype).toBe(spec === 'weights:uint8' ? undefined : 'float16');
    let zeros = 0;
    for (const layer of model.layers) {
      for (const [i, w] of layer.weights.entries()) {
        const orig = w.read().dataSync();
        const got = stock.getLayer(layer.name).weights[i]!.read().dataSync();
        const q = byName.get(w.originalName)!.quantization;
        for (let j = 0; j < orig.length; j++) {
          if (orig[j] === 0) { expect(Object.is(got[j], 0) || got[j] === 0).toBe(true); zeros++; }
          if (q?.dtype === 'uint8') expect(Math.abs(got[j]! - orig[j]!)).toBeLessThanOrEqual(q.scale! / 2 + 1e-7);
          else if (q?.dtype === 'float16') expect(Math.abs(got[j]! - orig[j]!)).toBeLessThanOrEqual(Math.abs(orig[j]!) * 2 ** -11 + 2 ** -24);
          else expect(got[j]).toBe(orig[j]);
        }
      }
    }
    expect(zeros).toBeGreaterThan(50);
    const float32Bytes = model.weights.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a! * b!, 1)!, 0);
    expect(saved.weightBytes).toBeLessThan(float32Bytes * (spec === 'weights:uint8' ? 0.4 : 0.51));
    const x = tf.randomUniform([4, 8, 8, 2], 0, 1, 'float32', 8);
    expect(maxDiff(model, stock, x)).toBeLessThan(0.05);
    x.dispose();
    for (const m of [r.model, stock, model]) m.dispose();
  });
});
