import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchCommand } from '../../src/cli/commands/bench.js';
import { loadModel } from '../../src/formats/index.js';
import type { LoadedLayersModel } from '../../src/formats/types.js';
import { benchTargets, compressionTargetFor, runBench } from '../../src/pipeline/index.js';
import { renderBenchMarkdown, renderBenchTable } from '../../src/report/index.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { saveTinyMnistModel } from './helpers.js';

let dir: string;
let modelPath: string;
let input: LoadedLayersModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await makeTmpDir('shrinkml-bench-');
  modelPath = await saveTinyMnistModel(dir);
  input = await loadModel(modelPath) as LoadedLayersModel;
});
afterAll(async () => {
  input.model.dispose();
  await removeTmpDir(dir);
});

describe('runBench', () => {
  it('measures every chosen variant the same way and reports ratios against fp32', async () => {
    const report = await runBench({
      input, data: 'mnist', limit: 300, trainLimit: 256, variants: ['fp32', 'weights:uint8', 'ptq-static-minmax', 'prune+cluster', 'distill'],
      settings: { epochs: 1, studentWidth: 0.5, budget: 'drop<=1%', seed: 1 },
    });
    expect(report.rows.map((r) => [r.variant, r.status])).toEqual([
      ['fp32', 'ok'], ['weights:uint8', 'ok'], ['ptq-static-minmax', 'ok'], ['distill', 'ok'], ['prune+cluster', 'ok'],
    ]);
    const by = Object.fromEntries(report.rows.map((r) => [r.variant, r]));
    expect(by.fp32!.drop).toBe(0);
    expect(by.fp32!.ratio).toBe(1);
    // uint8 storage: about 4× fewer weight bytes; the topology JSON keeps the ratio below 4.
    expect(by['weights:uint8']!.bytes! / by.fp32!.bytes!).toBeGreaterThan(0.25);
    expect(by['weights:uint8']!.bytes! / by.fp32!.bytes!).toBeLessThan(0.4);
    expect(by['prune+cluster']!.ratio).toBeGreaterThan(by['weights:uint8']!.ratio!);
    expect(report.samples).toBe(300);
    expect(report.machine.cores).toBeGreaterThan(0);
    const table = renderBenchTable(report);
    expect(table.split('\n')[0]).toMatch(/^variant\s+accuracy\s+drop\s+bytes\s+gzip\s+ratio/);
    expect(renderBenchMarkdown(report)).toMatch(/\| prune\+cluster \| \d+\.\d+% \|/);
  });

  it.each([
    [[{ variant: 'prune+cluster', ratio: 41, drop: 0.2 }], [true]],
    [[{ variant: 'prune+cluster', ratio: 41, drop: 0.4 }, { variant: 'ptq-static-minmax', drop: 0.1 }], [false, true]],
    [[{ variant: 'searched', ratio: 39.9, drop: 0.1 }], [false]],
  ])('targets: %j', (rows, verdicts) => {
    const full = rows.map((r) => ({ description: '', status: 'ok' as const, ...r }));
    expect(benchTargets(full).map((t) => t.pass)).toEqual(verdicts);
  });

  it('LeNet-5 is held to 20×, LeNet-300-100 to 40×, other models to no compression target', () => {
    const row = { variant: 'searched', description: '', status: 'ok' as const, ratio: 25, drop: 0.2 };
    expect(compressionTargetFor('models/mnist-lenet5')?.ratio).toBe(20);
    expect(compressionTargetFor('/x/models/mnist-lenet-300-100/model.json')?.ratio).toBe(40);
    expect(compressionTargetFor('models/mnist-residual')).toBeNull();
    expect(benchTargets([row], compressionTargetFor('models/mnist-lenet5')).map((t) => [t.target, t.pass])).toEqual([['≥ 20×, ≤ 0.3 pt', true]]);
    expect(benchTargets([row], compressionTargetFor('models/mnist-lenet-300-100')).map((t) => t.pass)).toEqual([false]);
    expect(benchTargets([row], null)).toEqual([]);
  });

  it('the bench command writes the Markdown and HTML it was asked for', async () => {
    const program = new Command().exitOverride();
    let stdout = '';
    const io = { stdout: (t: string) => { stdout += t; }, stderr: () => {}, setExitCode: () => {} };
    benchCommand.register(program, io);
    const md = path.join(dir, 'bench.md');
    const html = path.join(dir, 'bench.html');
    await program.parseAsync(['node', 'shrinkml', 'bench', modelPath, '--data', 'mnist', '--limit', '200', '--variants', 'fp32,weights:float16',
      '--backend', 'cpu', '--no-latency', '--markdown', md, '--html', html]);
    expect(stdout).toMatch(/^fp32 /m);
    expect(readFileSync(md, 'utf8')).toMatch(/^\| weights:float16 \|/m);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg[^>]*class="pareto"/);
    await expect(program.parseAsync(['node', 'shrinkml', 'bench', modelPath, '--data', 'mnist', '--variants', 'fp64', '--backend', 'cpu']))
      .rejects.toThrow(/unknown variant fp64/);
  });
});
