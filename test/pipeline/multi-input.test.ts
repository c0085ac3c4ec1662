import * as tf from '@tensorflow/tfjs';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveLayersModel } from '../../src/formats/index.js';
import { runCli } from '../cli/run.js';
import { writeNpy } from '../data/fixtures.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';

/**
 * `--data name=<file.npy>` once per input means the same for a tfjs LayersModel as for ONNX (test/onnx/stream.test.ts):
 * a two-input classifier compressed and evaluated with each input fed its own samples, labels from --labels.
 */
let dir: string;
let model: string;
let a: string;
let b: string;
let y: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await makeTmpDir('shrinkml-multi-input-');
  const ia = tf.input({ shape: [8], name: 'a' });
  const ib = tf.input({ shape: [4], name: 'b' });
  const out = tf.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: tf.initializers.randomNormal({ seed: 3 }) })
    .apply(tf.layers.concatenate().apply([ia, ib])) as tf.SymbolicTensor;
  const m = tf.model({ inputs: [ia, ib], outputs: out });
  model = path.join(dir, 'two');
  await saveLayersModel(m, model);
  m.dispose();
  const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 1000);
  a = writeNpy(path.join(dir, 'a.npy'), [20, 8], values(160, 1), '<f4');
  b = writeNpy(path.join(dir, 'b.npy'), [20, 4], values(80, 2), '<f4');
  y = writeNpy(path.join(dir, 'y.npy'), [20], values(20, 3).map((v) => Math.floor(v * 5)), '<i8');
});
afterAll(() => removeTmpDir(dir));

describe('several data inputs (tfjs Layers)', () => {
  it('compress weights:int8 and eval, each input fed from its own .npy, labels from --labels', async () => {
    const out = path.join(dir, 'two-int8');
    const r = await runCli('compress', model, '--out', out, '--quantize', 'weights:int8', '--data', `a=${a}`, '--data', `b=${b}`, '--labels', y, '--backend', 'cpu', '--no-latency', '--json');
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.samples).toBe(20);
    expect(m.cosine).toBeGreaterThan(0.999);
    expect(m.cosine).toBeLessThan(1);
    expect(m.accuracy).toBeGreaterThanOrEqual(0);
    expect(m.referenceAccuracy).toBeDefined();
    const e = await runCli('eval', out, '--reference', model, '--data', `a=${a}`, '--data', `b=${b}`, '--backend', 'cpu', '--no-latency', '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).cosine).toBeCloseTo(m.cosine, 6);
    expect(JSON.parse(e.stdout).data).toBe(`a=${a} b=${b}`);
  });

  it('sources swapped: one line naming the file and the input, nothing written', async () => {
    const out = path.join(dir, 'two-bad');
    const r = await runCli('compress', model, '--out', out, '--quantize', 'weights:int8', '--data', `a=${b}`, '--data', `b=${a}`, '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/b\.npy: shape \[20, 4\] does not fit input 'a' of .*two.*, which takes \[N, 8\]/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('an image folder for a tfjs GraphModel (Human emotion: [?, 64, 64, 1], pixels in -1..1)', () => {
  it('decoded grey at 64×64 and scaled by --input-range: int8 weights agree with the original on the photos', async () => {
    const out = path.join(dir, 'emotion-int8');
    const r = await runCli('compress', 'test/fixtures/real/emotion/emotion.json', '--out', out, '--quantize', 'weights:int8', '--data', 'test/fixtures/real/photos',
      '--input-range', '-1,1', '--backend', 'cpu', '--no-latency', '--json');
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.samples).toBe(2);
    expect(m.agreement).toBe(1);
    expect(m.cosine).toBeGreaterThan(0.995);
    // The same photos scaled 0..255 instead: the model sees other inputs, so its outputs move.
    const wide = await runCli('eval', out, '--reference', 'test/fixtures/real/emotion/emotion.json', '--data', 'test/fixtures/real/photos', '--input-range', '0,255', '--backend', 'cpu', '--no-latency', '--json');
    expect(wide.code).toBe(0);
    expect(JSON.parse(wide.stdout).cosine).not.toBeCloseTo(m.cosine, 6);
  });
});

describe('a graph whose batch dim is fixed (blazeface-like [1, H, W, C]) evaluated on an image folder', () => {
  it('eval feeds the photos one at a time against the original and prints the fidelity line', async () => {
    // emotion with its input's batch dim fixed at 1: the same weights, so it must agree exactly with the original.
    const fixed = path.join(dir, 'emotion-b1');
    mkdirSync(fixed, { recursive: true });
    const json = JSON.parse(readFileSync('test/fixtures/real/emotion/emotion.json', 'utf8'));
    const input = json.modelTopology.node.find((n: { op: string }) => n.op === 'Placeholder');
    input.attr.shape.shape.dim[0].size = '1';
    writeFileSync(path.join(fixed, 'emotion.json'), JSON.stringify(json));
    copyFileSync('test/fixtures/real/emotion/emotion.bin', path.join(fixed, 'emotion.bin'));
    const args = ['eval', path.join(fixed, 'emotion.json'), '--reference', 'test/fixtures/real/emotion/emotion.json', '--data', 'test/fixtures/real/photos', '--input-range', '-1,1', '--backend', 'cpu', '--no-latency'];
    const r = await runCli(...args, '--json');
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.samples).toBe(2);
    expect(m.agreement).toBe(1);
    expect(m.cosine).toBeCloseTo(1, 6);
    const text = await runCli(...args);
    expect(text.stdout).toMatch(/^fidelity {6}cosine 1\.00000, PSNR .* dB against the reference/m);
  });
});

describe('eval of a model whose output is an image, not class scores (the UpscalerJS fixture, free dims)', () => {
  it('reports cosine and PSNR, and no top-1 agreement or KL over pixels', async () => {
    // A compressed copy, so the comparison is not trivially exact: weights:float16 changes every value a little.
    const out = path.join(dir, 'upscaler-f16');
    const c = await runCli('compress', 'test/fixtures/real/upscaler', '--out', out, '--quantize', 'weights:float16', '--backend', 'cpu', '--no-latency');
    expect(c.code, c.stderr).toBe(0);
    const args = ['eval', out, '--reference', 'test/fixtures/real/upscaler/model.json', '--data', 'test/fixtures/real/photos', '--input-shape', '1,32,32,3', '--input-range', '0,255', '--backend', 'cpu', '--no-latency'];
    const r = await runCli(...args, '--json');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.samples).toBe(2);
    // Before, the argmax over 49,152 pixel values per sample was reported as "agreement".
    expect(m.agreement).toBeUndefined();
    expect(m.meanKl).toBeUndefined();
    expect(m.cosine).toBeGreaterThan(0.9999);
    expect(m.cosine).toBeLessThan(1);
    const text = await runCli(...args);
    expect(text.stdout).not.toMatch(/^agreement/m);
    expect(text.stdout).toMatch(/^fidelity {6}cosine 0\.9999\d|^fidelity {6}cosine 1\.00000/m);
  });
});
