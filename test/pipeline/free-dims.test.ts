import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveLayersModel } from '../../src/formats/index.js';
import { runCli } from '../cli/run.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';

/**
 * A fully-convolutional LayersModel with free input dims ([null, null, null, 3], as super-resolution nets ship):
 * weight-only steps need no input shape and no data; latency needs --input-shape and says so when it is missing.
 */
let dir: string;
let model: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await makeTmpDir('shrinkml-free-dims-');
  const m = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [null, null, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }),
    tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
  ] });
  model = path.join(dir, 'fcn');
  await saveLayersModel(m, model);
  m.dispose();
});
afterAll(() => removeTmpDir(dir));

describe('free input dims (tfjs Layers)', () => {
  it('--quantize weights:uint8 needs no shape and no data; latency is skipped with a note', async () => {
    const out = path.join(dir, 'fcn-uint8');
    const r = await runCli('compress', model, '--out', out, '--quantize', 'weights:uint8', '--backend', 'cpu', '--json');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.output.metrics.bytes).toBeLessThan(report.input.metrics.bytes);
    const manifest = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')).weightsManifest[0].weights;
    expect(manifest.filter((w: { quantization?: { dtype: string } }) => w.quantization?.dtype === 'uint8').length).toBe(4);
    expect(report.notes.join('\n')).toMatch(/Latency not measured: .*free dim at axis 1; give it with --input-shape/);
  });

  it('--input-shape 1,16,16,3 makes latency measurable', async () => {
    const out = path.join(dir, 'fcn-timed');
    const r = await runCli('compress', model, '--out', out, '--quantize', 'weights:float16', '--backend', 'cpu', '--input-shape', '1,16,16,3',
      '--runs', '1', '--warmup', '1', '--batch-sizes', '1', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).latency.byBatch.map((b: { batchSize: number }) => b.batchSize)).toEqual([1]);
  });

  it('an image folder with no --input-shape: the free dims take the images\' size (noted), fidelity measured on them', async () => {
    const photos = path.join(dir, 'photos');
    mkdirSync(photos);
    for (const k of [0, 1, 2]) {
      const png = new PNG({ width: 12, height: 10 });
      for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : (i * 37 + k * 91) % 256;
      writeFileSync(path.join(photos, `${k}.png`), PNG.sync.write(png));
    }
    const out = path.join(dir, 'fcn-int8');
    const r = await runCli('compress', model, '--out', out, '--quantize', 'weights:int8', '--backend', 'cpu', '--data', photos, '--input-range', '0,255', '--no-latency', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/note: input '.+' \[\?, \?, \?, 3\]: free dims set from the images in .*photos \(12×10; --input-shape picks another size\)/);
    const m = JSON.parse(r.stdout);
    expect(m.samples).toBe(3);
    expect(m.cosine).toBeGreaterThan(0.999);
    expect(m.cosine).toBeLessThan(1);
    // A second size in the folder: one line saying which --input-shape to give.
    const other = new PNG({ width: 7, height: 7 });
    other.data.fill(200);
    writeFileSync(path.join(photos, 'odd.png'), PNG.sync.write(other));
    const bad = await runCli('compress', model, '--out', path.join(dir, 'fcn-odd'), '--quantize', 'weights:int8', '--backend', 'cpu', '--data', photos);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/photos: images of 2 sizes \(.*0\.png 12×10, .*odd\.png 7×7\) and input '.+' \[\?, \?, \?, 3\] has a free height\/width; give it with --input-shape .+=1,H,W,3/);
    expect(existsSync(path.join(dir, 'fcn-odd'))).toBe(false);
  });

  it('a latency budget without --input-shape is one line naming the input, nothing written', async () => {
    const out = path.join(dir, 'fcn-p50');
    const r = await runCli('compress', model, '--out', out, '--quantize', 'weights:uint8', '--backend', 'cpu', '--budget', 'p50<=1s');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/input '.+' \[\?, \?, \?, 3\] has a free dim at axis 1; give it with --input-shape/);
    expect(r.stderr.trim().split('\n').filter((l) => /error/.test(l))).toHaveLength(1);
  });
});
