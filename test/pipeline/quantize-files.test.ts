import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/runtime/index.js';
import { selectBackend } from '../../src/backends/index.js';
import { loadData } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { fileIO } from '../../src/formats/file-io.js';
import { loadModel } from '../../src/formats/index.js';
import { measureModel } from '../../src/measure/index.js';
import { quantizeDynamic, quantizeStatic } from '../../src/pipeline/quantize-files.js';

/**
 * ORT-style file-to-file quantization for both formats: the int8 file the call writes is compared with the float
 * original on 300 real MNIST test images (tfjs: stock tf.loadLayersModel through fileIO; ONNX: onnxruntime-node).
 */
const work = mkdtempSync(join(tmpdir(), 'shrinkml-quantize-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let test: Dataset;
beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
  test = await loadData({ source: 'mnist', split: 'test', limit: 300 });
}, 120_000);

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

async function tfjsAccuracy(path: string): Promise<number> {
  const model = await tf.loadLayersModel(fileIO(path));
  const predicted = tf.tidy(() => tf.argMax(model.predict(tf.tensor(test.x, [test.count, 28, 28, 1])) as tf.Tensor, 1).dataSync());
  model.dispose();
  return predicted.reduce((n, p, i) => n + (p === test.labels![i] ? 1 : 0), 0) / test.count;
}

describe('quantizeDynamic / quantizeStatic (file to file)', () => {
  it.each([
    ['dynamic', () => quantizeDynamic('models/mnist-lenet5', join(work, 'dynamic'))],
    ['static', () => quantizeStatic('models/mnist-lenet5', join(work, 'static'), 'mnist', { calibrationSamples: 128 })],
  ] as const)('%s: a tfjs Layers model becomes int8 that stock tfjs loads, within 1 pt of the float model', async (_mode, run) => {
    const before = sha('models/mnist-lenet5/group1-shard1of1.bin');
    const result = await run();
    expect(result.format).toBe('layers');
    const model = await tf.loadLayersModel(fileIO(result.out));
    expect(model.layers.map((l) => l.getClassName())).toEqual(expect.arrayContaining(['QuantizedConv2D', 'QuantizedDense']));
    model.dispose();
    const [float, int8] = [await tfjsAccuracy('models/mnist-lenet5'), await tfjsAccuracy(result.out)];
    expect(int8).toBeGreaterThanOrEqual(float - 0.01);
    expect(sha('models/mnist-lenet5/group1-shard1of1.bin')).toBe(before);
  }, 180_000);

  it.each([
    ['dynamic', (out: string) => quantizeDynamic('models/onnx/mnist-lenet5.onnx', out)],
    ['static', (out: string) => quantizeStatic('models/onnx/mnist-lenet5.onnx', out, 'mnist', { calibrationSamples: 128 })],
  ] as const)('%s: an .onnx file becomes int8 that onnxruntime runs, within 1 pt of the float model', async (mode, run) => {
    const result = await run(join(work, `${mode}.onnx`));
    expect(result.format).toBe('onnx');
    // Accuracy in onnxruntime-node, through the one measurement path.
    const evaluateOnnx = async (file: string) => ({ accuracy: (await measureModel({ loaded: await loadModel(file), dataset: test })).accuracy! });
    const float = await evaluateOnnx('models/onnx/mnist-lenet5.onnx');
    const int8 = await evaluateOnnx(result.out);
    expect(readFileSync(result.out).length).toBeLessThan(readFileSync('models/onnx/mnist-lenet5.onnx').length * 0.6);
    expect(int8.accuracy).toBeGreaterThanOrEqual(float.accuracy - 0.01);
  }, 180_000);

  it('refuses to replace an existing output unless force', async () => {
    const out = join(work, 'again');
    await quantizeDynamic('models/mnist-lenet5', out);
    await expect(quantizeDynamic('models/mnist-lenet5', out)).rejects.toMatchObject({ code: 'EXISTS' });
    await expect(quantizeDynamic('models/mnist-lenet5', out, { force: true })).resolves.toMatchObject({ format: 'layers' });
  }, 120_000);
});
