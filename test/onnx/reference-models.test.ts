import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData, toModelInput } from '../../src/data/index.js';
import { loadModel } from '../../src/formats/index.js';
import { loadOnnx } from '../../src/formats/onnx/index.js';
import { compressOnnx } from '../../src/onnx/compress.js';
import { argmaxRows, evaluateOnnx, predictOnnx } from '../../src/onnx/evaluate.js';
import { createSession } from '../../src/onnx/runtime.js';

/**
 * The committed models/onnx/*.onnx files against their tfjs originals and on MNIST (first 1,000 test images):
 * the export matches tfjs, and INT8 (dynamic and static QDQ) stays within 0.5 points of fp32.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'shrinkml-onnx-ref-'));
beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODELS = ['mnist-lenet-300-100', 'mnist-lenet5'].filter((n) => existsSync(`models/onnx/${n}.onnx`) && existsSync(`models/${n}/model.json`));

describe.runIf(MODELS.length > 0)('reference ONNX models', () => {
  it.each(MODELS)('%s: onnxruntime matches tfjs on 64 test images', async (name) => {
    const sample = await loadData({ source: 'mnist', split: 'test', limit: 64 });
    const tfjs = await loadModel(`models/${name}`);
    if (tfjs.kind !== 'layers') throw new Error('expected a layers model');
    const expected = tf.tidy(() => (tfjs.model.predict(toModelInput(sample, tfjs.model.inputs[0]!.shape)) as tf.Tensor).dataSync().slice());
    tfjs.model.dispose();
    const onnx = await loadOnnx(`models/onnx/${name}.onnx`);
    const session = await createSession(onnx.bytes);
    const got = await predictOnnx({ session, input: onnx.inputs[0]!, dataset: sample });
    await session.release();
    const err = Math.max(...Array.from(got.values, (v, i) => Math.abs(v - expected[i]!)));
    expect(err).toBeLessThan(1e-4);
    expect(Array.from(argmaxRows(got.values, 10))).toEqual(Array.from(argmaxRows(Float32Array.from(expected), 10)));
  });

  it.each(MODELS)('%s: dynamic and static INT8 within 0.5 points of fp32', async (name) => {
    const file = `models/onnx/${name}.onnx`;
    const test = await loadData({ source: 'mnist', split: 'test', limit: 1000 });
    const fp32 = await evaluateOnnx({ bytes: (await loadOnnx(file)).bytes, dataset: test });
    expect(fp32.accuracy).toBeGreaterThan(0.97);
    for (const quantize of ['dynamic', 'static'] as const) {
      const out = path.join(dir, `${name}-${quantize}.onnx`);
      const calibration = quantize === 'static' ? { data: 'mnist', limit: 128 } : undefined;
      const result = await compressOnnx({ path: file, out, quantize, calibration });
      // Dynamic leaves LeNet-5's convolutions float; everything else is int8.
      expect(result.bytes).toBeLessThan((name === 'mnist-lenet5' && quantize === 'dynamic' ? 0.32 : 0.3) * result.inputBytes);
      const q = await evaluateOnnx({ bytes: (await loadOnnx(out)).bytes, dataset: test });
      expect(fp32.accuracy - q.accuracy).toBeLessThan(0.005);
    }
  });
});
