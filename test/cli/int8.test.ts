import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveLayersModel } from '../../src/formats/index.js';
import { runQuantizeStep } from '../../src/quantize/index.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { runCli } from './run.js';

let dir: string;
const hidden = 16;
beforeAll(async () => {
  dir = await makeTmpDir('shrinkml-cli-int8-');
  await tf.setBackend('cpu');
  const model = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [784], units: hidden, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
  ] });
  await saveLayersModel(model, path.join(dir, 'float'));
  const q = await runQuantizeStep({ model, spec: 'dynamic' });
  await saveLayersModel(q.model, path.join(dir, 'int8'), q.saveOptions);
  model.dispose();
  q.model.dispose();
});
afterAll(() => removeTmpDir(dir));

describe('CLI on shrinkml int8 models', () => {
  it('inspect reports 8-bit weights and the real parameter counts', async () => {
    const r = await runCli('inspect', path.join(dir, 'int8'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const dense = doc.layers.filter((l: { class: string }) => l.class === 'QuantizedDense');
    expect(dense).toHaveLength(2);
    expect(dense.map((l: { weightBits: number }) => l.weightBits)).toEqual([8, 8]);
    // kernels count their int8 values (784×16, 16×10), not the int32 words that carry them
    const kernels = dense.map((l: { weights: { name: string; params: number }[] }) => l.weights.find((w) => /packed|kernel/.test(w.name))!.params);
    expect(kernels).toEqual([784 * hidden, hidden * 10]);
  });

  it('eval runs the int8 kernels on MNIST and agrees with the float model', async () => {
    const r = await runCli('eval', path.join(dir, 'int8'), '--data', 'mnist', '--limit', '200', '--backend', 'wasm',
      '--no-latency', '--reference', path.join(dir, 'float'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.samples).toBe(200);
    expect(doc.agreement).toBeGreaterThan(0.95);
    expect(doc.cosine).toBeGreaterThan(0.999);
  });
});
