import * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveLayersModel } from '../../src/formats/index.js';
// Registers the int8 layer classes, as a user's program does.
import '../../src/runtime/index.js';
import type { QuantizedDense } from '../../src/runtime/index.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { useWasm } from '../quantize/helpers.js';
import { stockLoad } from '../quantize/io.js';

/**
 * fixtures/int8-format1: shrinkml int8 models written by the first format-1 writer (every config field written
 * out, 17-digit floats, float32 scales and biases), with the outputs that writer's model gave. Newer writers
 * store less; these files must keep loading and predicting exactly the same.
 */
const FIXTURES = new URL('./fixtures/int8-format1/', import.meta.url).pathname;
interface Expected { shape: number[]; x: number[]; y: number[]; classes: string[] }
let expected: Record<string, Expected>;
let tmp: string;

beforeAll(async () => {
  await useWasm();
  expected = JSON.parse(await fsp.readFile(path.join(FIXTURES, 'expected.json'), 'utf8'));
  tmp = await makeTmpDir('shrinkml-format1-');
});
afterAll(() => removeTmpDir(tmp));

/** The most significant digits of any decimal number in a JSON text. */
function maxSignificantDigits(json: string): number {
  const numbers = json.match(/-?\d+\.\d+/g) ?? [];
  return Math.max(0, ...numbers.map((n) => n.replace(/[-.]/g, '').replace(/^0+/, '').length));
}

function predict(model: tf.LayersModel, e: Expected): number[] {
  return tf.tidy(() => Array.from((model.predict(tf.tensor(e.x, e.shape)) as tf.Tensor).dataSync()));
}

describe('int8 format 1 as first written', () => {
  it.each(['static-cnn', 'dynamic-mlp'])('%s loads (shrinkml loader and stock tfjs), predicts the same, and re-saves smaller', async (name) => {
    const e = expected[name]!;
    const dir = path.join(FIXTURES, name);
    const oldJson = await fsp.readFile(path.join(dir, 'model.json'), 'utf8');
    expect(oldJson).toContain('"weight_bits":8');
    expect(oldJson).not.toContain('float16');
    const before = tf.memory().numTensors;

    const loaded = await loadModel(dir);
    const model = loaded.model as tf.LayersModel;
    expect(loaded.meta.shrinkml).toMatchObject({ format: 1 });
    expect(model.layers.map((l) => l.getClassName())).toEqual(e.classes);
    expect(predict(model, e)).toEqual(e.y);
    const stock = await stockLoad(dir);
    expect(predict(stock.model, e)).toEqual(e.y);
    if (name === 'dynamic-mlp') {
      const fc1 = model.getLayer('fc1') as QuantizedDense;
      expect([fc1.mode, fc1.weightSymmetric, fc1.perChannel, fc1.trainable]).toEqual(['dynamic', false, false, false]);
    }

    // the current writer: same predictions, compact config, fewer bytes
    const out = path.join(tmp, name);
    await saveLayersModel(model, out, { shrinkml: loaded.meta.shrinkml as Record<string, unknown> });
    const newJson = await fsp.readFile(path.join(out, 'model.json'), 'utf8');
    expect(newJson.length).toBeLessThan(oldJson.length - 150);
    if (name === 'static-cnn') expect(maxSignificantDigits(oldJson)).toBeGreaterThanOrEqual(16);
    expect(maxSignificantDigits(newJson)).toBeLessThanOrEqual(9);
    const again = await loadModel(out);
    expect(predict(again.model as tf.LayersModel, e)).toEqual(e.y);

    for (const m of [model, stock.model, again.model as tf.LayersModel]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
