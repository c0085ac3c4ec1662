import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/index.js';
import { disposeLoaded, loadModel } from '../../src/formats/index.js';
import { measureModel } from '../../src/measure/index.js';
import { compress } from '../../src/pipeline/index.js';

/**
 * The committed models/onnx/*.onnx files against their tfjs originals and on MNIST (first 1,000 test images),
 * through the one measurement path: the export matches tfjs, and INT8 (dynamic and static QDQ, through the one
 * compress pipeline) stays within 0.5 points of fp32.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'shrinkml-onnx-ref-'));
beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODELS = ['mnist-lenet-300-100', 'mnist-lenet5'].filter((n) => existsSync(`models/onnx/${n}.onnx`) && existsSync(`models/${n}/model.json`));

describe.runIf(MODELS.length > 0)('reference ONNX models', () => {
  it.each(MODELS)('%s: onnxruntime matches tfjs on 64 test images', async (name) => {
    const dataset = await loadData({ source: 'mnist', split: 'test', limit: 64 });
    const tfjs = await loadModel(`models/${name}`);
    const onnx = await loadModel(`models/onnx/${name}.onnx`);
    try {
      const m = await measureModel({ loaded: onnx, reference: tfjs, dataset });
      expect(m.samples).toBe(64);
      expect(m.agreement).toBe(1);
      expect(m.mse).toBeLessThan(1e-9);
      expect(m.accuracy).toBe(m.referenceAccuracy);
    } finally {
      disposeLoaded(tfjs);
    }
  });

  it.each(MODELS)('%s: dynamic and static INT8 within 0.5 points of fp32', async (name) => {
    const file = `models/onnx/${name}.onnx`;
    for (const quantize of ['dynamic', 'static'] as const) {
      const out = path.join(dir, `${name}-${quantize}.onnx`);
      const { report, measurement } = await compress(file, out, {
        data: { source: 'mnist', limit: 1000 }, config: { steps: [{ step: 'ptq', options: { mode: quantize } }], data: { calibrationSamples: 128 } },
      });
      expect(measurement.referenceAccuracy).toBeGreaterThan(0.97);
      // int8 everywhere (LeNet-5's convolutions too, behind DequantizeLinear under dynamic).
      expect(report.output.metrics.bytes).toBeLessThan(0.32 * report.input.metrics.bytes);
      expect(measurement.drop!).toBeLessThan(0.5);
    }
  });
});
