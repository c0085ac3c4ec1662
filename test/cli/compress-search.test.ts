import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reproduceLineage } from '../../src/pipeline/index.js';
import { makeTmpDir, removeTmpDir, tempLeftovers } from '../fixtures/tmp.js';
import { saveTinyMnistModel } from '../pipeline/helpers.js';
import { runCli } from './run.js';

let dir: string;
let model: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await makeTmpDir('shrinkml-compress-');
  model = await saveTinyMnistModel(dir);
});
afterAll(() => removeTmpDir(dir));

const FAST = ['--data', 'mnist', '--limit', '300', '--train-limit', '256', '--validation-limit', '300', '--backend', 'cpu', '--no-latency'];
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const trialDirs = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('shrinkml-trial-'));

describe('compress --budget (search)', () => {
  it('meets a reachable budget, records every trial, and its lineage reproduces the same weights', async () => {
    const out = path.join(dir, 'reachable');
    const r = await runCli('compress', model, '--out', out, ...FAST, '--prune', 'magnitude:0.7:global', '--finetune-epochs', '1',
      '--cluster', '16', '--budget', 'drop<=3%,gzip<=40KB', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.budget.pass).toBe(true);
    const report = json(path.join(out, 'report.json'));
    expect(report.trials.length).toBeGreaterThanOrEqual(1);
    expect(report.trials[0].reason).toMatch(/most aggressive/);
    expect(report.trials[0].config.steps.map((s: { step: string }) => s.step)).toEqual(['prune', 'cluster']);
    expect(report.layers.map((l: { level: number }) => l.level)).toEqual([0, 0]);
    expect(report.trials.at(-1).pass).toBe(true);
    expect(report.trials.every((t: { split: string }) => t.split === 'validation')).toBe(true);
    expect(report.budget).toMatchObject({ pass: true, closest: false });
    expect(report.layers.map((l: { weightBits: number }) => l.weightBits)).toEqual([4, 4]);
    for (const f of ['report.md', 'report.html', 'lineage.json', 'model.json']) expect(existsSync(path.join(out, f))).toBe(true);
    const lineage = json(path.join(out, 'lineage.json'));
    expect(lineage.config.steps.map((s: { step: string }) => s.step)).toEqual(['prune', 'cluster']);
    expect(lineage.seeds.steps).toHaveLength(2);
    expect(lineage.data).toMatchObject({ source: 'mnist', split: 'test', samples: 300, splits: { train: 256, validation: 300 } });
    expect(lineage.versions).toMatchObject({ backend: 'cpu', tfjs: tf.version.tfjs });
    expect(lineage.metrics.gzipBytes).toBe(doc.size.gzipBytes);
    expect(lineage.budget).toEqual({ text: 'drop<=3%,gzip<=40KB', pass: true, closest: false });
    expect(existsSync(`${out}.trials.json`)).toBe(false);
    expect(await tempLeftovers(dir)).toEqual([]);
    expect(await tempLeftovers(out)).toEqual([]);

    const again = await reproduceLineage(path.join(out, 'lineage.json'));
    expect(again.recorded).toBe(lineage.weightsHash);
    expect(again.matches).toBe(true);
  });

  it('bisects along the sensitivity-ordered allocation while accuracy fails, within --max-trials', async () => {
    const out = path.join(dir, 'relax');
    const tensors = tf.memory().numTensors;
    const r = await runCli('compress', model, '--out', out, ...FAST, '--prune', 'magnitude:0.97:global', '--budget', 'drop<=0.5%', '--max-trials', '3');
    const report = json(path.join(out, 'report.json'));
    expect(report.trials.length).toBeGreaterThanOrEqual(2);
    expect(report.trials[0].pass).toBe(false);
    expect(report.trials[1].reason).toMatch(/^relax fc[12] to level [123]\/3(, fc[12] to level [123]\/3)? \(point \d+\/\d+ of the sensitivity-ordered allocation/);
    expect(Object.values(report.trials[1].levels).length).toBeGreaterThanOrEqual(1);
    // Every layer was probed at every level below untouched before the first relaxation.
    expect(report.search.sensitivity.map((s: { layer: string; level: number }) => `${s.layer}:${s.level}`)).toEqual(['fc1:0', 'fc1:1', 'fc1:2', 'fc2:0', 'fc2:1', 'fc2:2']);
    // Bisection: after a pass the next candidate is smaller (fewer non-zeros), after an accuracy miss larger.
    for (let i = 1; i + 1 < report.trials.length; i++) {
      const [a, b] = [report.trials[i], report.trials[i + 1]];
      if (a.pass) expect(b.metrics.nonzeroParams).toBeLessThan(a.metrics.nonzeroParams);
      else expect(b.metrics.nonzeroParams).toBeGreaterThan(a.metrics.nonzeroParams);
    }
    expect(report.trials[1].metrics.nonzeroParams).toBeGreaterThan(report.trials[0].metrics.nonzeroParams);
    expect(r.code).toBe(report.budget.pass ? 0 : 1);
    // Trials, probes, the kept best candidate and the models read back for measuring are all released.
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('reports an unreachable budget: exit 1, the failing criterion and by how much, the closest candidate written and marked', async () => {
    const out = path.join(dir, 'unreachable');
    const r = await runCli('compress', model, '--out', out, ...FAST, '--prune', 'magnitude:0.9:global', '--budget', 'gzip<=1KB,drop<=5%');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/budget NOT met: no candidate met the budget in 1 trial \(stopped: gzip<=1KB failed; relaxing layers only makes the model larger or slower\); the output is the closest candidate, trial 0: gzip<=1KB failed by [\d.]+ KB \(measured [\d.]+ KB\)/);
    expect(r.stdout).toMatch(/closest candidate: the budget was not met/);
    const report = json(path.join(out, 'report.json'));
    expect(report.budget).toMatchObject({ pass: false, closest: true });
    expect(json(path.join(out, 'lineage.json')).budget).toMatchObject({ pass: false, closest: true });
    expect(json(path.join(out, 'model.json')).shrinkml.closestCandidate).toMatchObject({ budget: 'gzip<=1KB,drop<=5%', trial: 0 });
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toMatch(/class="verdict fail"/);
  });

  it('Ctrl-C stops with code 130 and no temp files; --resume replays the recorded trials', async () => {
    const out = path.join(dir, 'interrupted');
    const args = ['compress', model, '--out', out, ...FAST, '--prune', 'magnitude:0.97:global', '--finetune-epochs', '1', '--budget', 'drop<=0.1%', '--max-trials', '3'];
    const before = trialDirs();
    const running = runCli(...args);
    // Interrupt once the first trial is recorded.
    while (!existsSync(`${out}.trials.json`)) await new Promise((r) => setTimeout(r, 50));
    process.emit('SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/rerun with --resume/);
    expect(existsSync(out)).toBe(false);
    expect(await tempLeftovers(dir)).toEqual([]);
    expect(trialDirs()).toEqual(before);
    const recorded = json(`${out}.trials.json`).trials.length;
    expect(recorded).toBeGreaterThanOrEqual(1);

    const resumed = await runCli(...args, '--resume');
    expect(resumed.stderr).toMatch(new RegExp(`resuming: ${recorded} trials? recorded`));
    expect(resumed.stderr).toMatch(/trial 0 \(recorded\)/);
    const report = json(path.join(out, 'report.json'));
    expect(report.search.resumedTrials).toBe(recorded);
    expect(existsSync(`${out}.trials.json`)).toBe(false);
  });
});

describe('compress pipeline flags', () => {
  it('a single-file output gets <name>.lineage.json and <name>.report.* beside it', async () => {
    const out = path.join(dir, 'single', 'small.json');
    const r = await runCli('compress', model, '--out', out, ...FAST, '--quantize', 'weights:uint8');
    expect(r.code).toBe(0);
    const names = readdirSync(path.dirname(out)).sort();
    expect(names).toEqual(['small.bin', 'small.json', 'small.lineage.json', 'small.report.html', 'small.report.json', 'small.report.md']);
    const manifest = json(out).weightsManifest[0].weights;
    expect(manifest.map((w: { quantization?: { dtype: string } }) => w.quantization?.dtype)).toEqual(['uint8', 'uint8', 'uint8', 'uint8']);
    expect(json(path.join(path.dirname(out), 'small.lineage.json')).config.steps).toEqual([{ step: 'weight-format', options: { encoding: 'uint8' } }]);
    // eval reads the lineage beside the file and takes its source as the reference.
    const e = await runCli('eval', out, '--data', 'mnist', '--limit', '100', '--backend', 'cpu', '--no-latency', '--json');
    expect(JSON.parse(e.stdout).reference).toBe(path.join(model, 'model.json'));
  });

  it('--dry-run prints the resolved pipeline and writes nothing', async () => {
    const out = path.join(dir, 'dry');
    const r = await runCli('compress', model, '--out', out, '--backend', 'cpu', '--preset', 'edge', '--cluster-storage', 'uint8', '--finetune-epochs', '0', '--dry-run');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.steps).toEqual([
      { step: 'prune', options: { method: 'magnitude:0.95:global', finetuneEpochs: 0, learningRate: 2e-3 } },
      { step: 'cluster', options: { clusters: 16, finetuneEpochs: 0, storage: 'uint8' } },
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['a bad field in --config', () => ['--config', writeConfig({ steps: [{ step: 'cluster', options: { clusters: 100 } }] })], /bad\.json: steps\[0\]\.options\.clusters must be ≤ 64, got 100/],
    ['--preset with --config', () => ['--preset', 'edge', '--config', 'x.json'], /--preset and --config/],
    ['an unknown preset', () => ['--preset', 'tiny'], /Allowed choices are edge, balanced, max-accuracy/],
    ['a budget needing data', () => ['--prune', 'magnitude:0.5', '--budget', 'drop<=1%'], /need data/],
  ])('refuses %s', async (_name, extra, message) => {
    const r = await runCli('compress', model, '--out', path.join(dir, 'never'), '--backend', 'cpu', ...extra());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('--help lists the presets and the steps', async () => {
    const r = await runCli('compress', '--help');
    expect(r.stdout).toMatch(/edge\s+smallest download/);
    expect(r.stdout).toMatch(/balanced\s+the seed recipe: .*pruning → distillation .* → QAT/);
    expect(r.stdout).toMatch(/max-accuracy/);
    expect(r.stdout).toMatch(/weight-format\s+store weights/);
  });
});

function writeConfig(value: unknown): string {
  const file = path.join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify(value));
  return file;
}
