import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveLayersModel } from '../../src/formats/index.js';
import { makeTmpDir, removeTmpDir, tempLeftovers } from '../fixtures/tmp.js';
import { runCli } from './run.js';

let dir: string;
let modelDir: string;

beforeAll(async () => {
  dir = await makeTmpDir('shrinkml-cli-');
  modelDir = path.join(dir, 'mlp');
  await tf.setBackend('cpu');
  const model = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [784], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  ] });
  await saveLayersModel(model, modelDir);
  model.dispose();
});
afterAll(() => removeTmpDir(dir));

describe('shrinkml eval --json', () => {
  it('prints one JSON document with the documented top-level names', async () => {
    const r = await runCli('eval', modelDir, '--data', 'mnist', '--limit', '300', '--backend', 'cpu', '--runs', '3',
      '--warmup', '1', '--batch-sizes', '1', '--budget', 'size<=1MB,acc>=0.99', '--json');
    expect(r.code).toBe(1); // an untrained model fails acc>=0.99
    const doc = JSON.parse(r.stdout);
    expect(doc.params).toBe(784 * 16 + 16 + 16 * 10 + 10);
    expect(doc.samples).toBe(300);
    expect(doc.accuracy).toBeGreaterThanOrEqual(0);
    expect(doc.accuracy).toBeLessThan(0.5);
    expect(doc.size.bytes).toBe(readFileSync(path.join(modelDir, 'model.json')).length +
      readFileSync(path.join(modelDir, 'group1-shard1of1.bin')).length);
    expect(doc.size.gzipBytes).toBeGreaterThan(0);
    expect(doc.latency.p50Ms).toBeGreaterThan(0);
    expect(doc.latency.p95Ms).toBeGreaterThanOrEqual(doc.latency.p50Ms);
    expect(doc.budget.pass).toBe(false);
    expect(doc.budget.criteria.map((c: { pass: boolean }) => c.pass)).toEqual([true, false]);
    expect(doc.layers.map((l: { name: string; class: string; weightBits: number }) => [l.class, l.weightBits])).toEqual([['Dense', 32], ['Dense', 32]]);
    expect(doc.backend).toBe('cpu');
    expect(r.stderr).toMatch(/backend: cpu/);
  });
});

describe('shrinkml inspect', () => {
  it('reports layers and sizes in text and JSON', async () => {
    const text = await runCli('inspect', modelDir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/dense_Dense\d+\s+Dense\s+\[null,16\]\s+12,560/);
    const json = JSON.parse((await runCli('inspect', path.join(modelDir, 'model.json'), '--json')).stdout);
    expect(json.params).toBe(12_730);
    expect(json.inputs).toEqual([[null, 784]]);
  });
});

describe('shrinkml compress (load, save, measure)', () => {
  it('writes the model and its lineage atomically and measures it against the input', async () => {
    const out = path.join(dir, 'copy');
    // No steps: the budget search runs. Four trials are its one-shot storage screens (float16, int8, int4, static
    // int8), enough for a lossless-on-these-images candidate; without the cap it goes on to fine-tuning trials.
    const r = await runCli('compress', modelDir, '--out', out, '--backend', 'cpu', '--no-latency', '--data', 'mnist',
      '--limit', '200', '--budget', 'drop<=0%,agreement>=1', '--max-trials', '4', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/outputs not compared/);
    const doc = JSON.parse(r.stdout);
    expect(doc.drop).toBe(0);
    expect(doc.agreement).toBe(1);
    const lineage = JSON.parse(readFileSync(path.join(out, 'lineage.json'), 'utf8'));
    // Recorded relative to the output (no local layout leaks), identified by its hash.
    expect(lineage.source).toBe(path.relative(out, path.join(modelDir, 'model.json')));
    expect(lineage.sourceHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await tempLeftovers(dir)).toEqual([]);
    // eval picks the recorded source as the reference for drop.
    const e = await runCli('eval', out, '--data', 'mnist', '--limit', '100', '--backend', 'cpu', '--no-latency', '--budget', 'drop<=0.1%', '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).reference).toBe(path.join(modelDir, 'model.json'));
  });

  it.each([
    ['an existing --out without --force', () => ['compress', modelDir, '--out', modelDir + '-exists'], 2, /exists/],
    ['the input model as --out, even with --force', () => ['compress', modelDir, '--out', modelDir, '--force'], 2, /input/],
  ])('refuses %s', async (_name, args, code, message) => {
    const argv = args();
    if (argv[3]!.endsWith('-exists')) await saveLayersModel(tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] }), argv[3]!);
    const r = await runCli(...argv, '--backend', 'cpu', '--no-latency');
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split('\n').pop()).toMatch(message);
    expect(existsSync(path.join(modelDir, 'model.json'))).toBe(true);
  });
});

describe('bad input gets one line and a non-zero exit', () => {
  it.each([
    ['a missing model', ['inspect', '/nonexistent/model'], 2, /\/nonexistent\/model/],
    ['an unknown backend', ['eval', 'x', '--backend', 'tpu'], 2, /tpu/],
    ['a bad budget', ['eval', '__MODEL__', '--backend', 'cpu', '--budget', 'size<=banana'], 2, /size<=banana|banana/],
    ['a budget needing data without --data', ['eval', '__MODEL__', '--backend', 'cpu', '--budget', 'acc>=0.9'], 2, /need data/],
    ['drop without a reference', ['eval', '__MODEL__', '--backend', 'cpu', '--data', 'mnist', '--budget', 'drop<=1%'], 2, /--reference/],
    ['a non-integer --limit', ['eval', '__MODEL__', '--limit', 'ten'], 2, /positive integer/],
    ['an unknown command', ['shrink', 'x'], 2, /unknown command/],
  ])('%s', async (_name, args, code, message) => {
    const r = await runCli(...args.map((a) => (a === '__MODEL__' ? modelDir : a)));
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    const errorLines = r.stderr.split('\n').filter((l) => /error/i.test(l));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(message);
  });

  it('a malformed model.json names the file', async () => {
    writeFileSync(path.join(dir, 'bad.json'), '{"modelTopology": ');
    const r = await runCli('inspect', path.join(dir, 'bad.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(path.join(dir, 'bad.json'));
  });
});

describe('tensor memory', () => {
  it('eval leaves no tensors behind', async () => {
    await runCli('eval', modelDir, '--backend', 'cpu', '--no-latency', '--data', 'mnist', '--limit', '50');
    const before = tf.memory().numTensors;
    await runCli('eval', modelDir, '--backend', 'cpu', '--runs', '2', '--warmup', '1', '--data', 'mnist', '--limit', '50');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('compress --prune structured --dry-run', () => {
  it('prints the groups and the recipe and writes nothing', async () => {
    const lenet5 = path.resolve(import.meta.dirname, '../../models/mnist-lenet5');
    const out = path.join(dir, 'never-written');
    const r = await runCli('compress', lenet5, '--out', out, '--prune', 'structured:0.5', '--dry-run', '--backend', 'cpu');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.recipe.groups.map((g: { key: string; size: number; keep: number[] }) => [g.key, g.size, g.keep.length]))
      .toEqual([['conv1', 6, 3], ['conv2', 16, 8], ['fc1', 120, 60], ['fc2', 84, 42]]);
    expect(r.stderr).toMatch(/cut {2}conv2: 16 → 8 channels \(layers conv2, bn2, fc1\)/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('codebook (clustered) outputs', () => {
  it('inspect and eval open what compress --cluster writes', async () => {
    const out = path.join(dir, 'clustered');
    const c = await runCli('compress', modelDir, '--out', out, '--cluster', '16', '--finetune-epochs', '1', '--train-limit', '256',
      '--data', 'mnist', '--limit', '100', '--backend', 'cpu', '--no-latency');
    expect(c.code).toBe(0);
    const inspect = JSON.parse((await runCli('inspect', out, '--json')).stdout);
    expect(inspect.params).toBe(12_730);
    const e = await runCli('eval', out, '--data', 'mnist', '--limit', '100', '--backend', 'cpu', '--no-latency', '--json');
    expect(e.code).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.samples).toBe(100);
    // the reference is the source recorded in lineage.json; 16 shared values per layer barely move the outputs
    expect(m.agreement).toBeGreaterThan(0.8);
  });
});
