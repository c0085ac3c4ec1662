import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMeasurable, compress, reproduceLineage, trialFront, type TrialRecord } from '../../src/pipeline/index.js';
import { parseBudget } from '../../src/measure/index.js';
import { runCli } from '../cli/run.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { writeNpy } from '../data/fixtures.js';
import { saveTinyMnistModel } from './helpers.js';

const quality = (t: TrialRecord) => t.metrics.accuracy ?? t.metrics.agreement ?? -Infinity;
/** a is at least as small and as good as b, and better on one (no p50 in these runs). */
const dominates = (a: TrialRecord, b: TrialRecord) =>
  a.metrics.gzipBytes <= b.metrics.gzipBytes && quality(a) >= quality(b) && (a.metrics.gzipBytes < b.metrics.gzipBytes || quality(a) > quality(b));

describe('the budget search without a written pipeline', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await makeTmpDir('shrinkml-auto-');
    model = await saveTinyMnistModel(dir);
  });
  afterAll(() => removeTmpDir(dir));

  const tiny = { version: 1 as const, seed: 1, steps: [], data: { trainLimit: 256, validationLimit: 300, calibrationSamples: 64 } };

  it('builds the pipeline itself: a much smaller model meeting the budget, every trial on a Pareto front or dominated', async () => {
    const out = path.join(dir, 'auto');
    const r = await compress(model, out, { config: tiny, data: { source: 'mnist', limit: 300 }, budget: 'drop<=2%', search: { maxTrials: 9, timeoutSeconds: 600 } });
    const { report, lineage } = r;
    expect(report.search).toMatchObject({ mode: 'search the pipeline' });
    const chosen = report.trials.find((t) => t.id === report.search!.chosen)!;
    expect(chosen.pass).toBe(true);
    // The smallest passing trial was chosen, and it is far smaller than the input (float16 alone halves it).
    expect(chosen.metrics.gzipBytes).toBe(Math.min(...report.trials.filter((t) => t.pass).map((t) => t.metrics.gzipBytes)));
    expect(report.output.metrics.gzipBytes).toBeLessThan(report.input.metrics.gzipBytes / 4);
    expect(report.trials.some((t) => /^allocation \d+\/\d+/.test(t.reason))).toBe(true);
    expect(report.trials.filter((t) => /^whole model: weight-format/.test(t.reason)).length).toBe(3);
    // Pareto front: no member dominated; every other trial dominated by a member.
    const front = report.trials.filter((t) => report.search!.pareto!.includes(t.id));
    expect(report.search!.pareto).toEqual(trialFront(report.trials));
    for (const t of front) expect(report.trials.some((u) => dominates(u, t))).toBe(false);
    for (const t of report.trials.filter((x) => !front.includes(x))) expect(front.some((u) => dominates(u, t))).toBe(true);
    // The output's lineage records the pipeline the search wrote, and rebuilding it gives the same weights.
    expect(lineage.config).toEqual(chosen.config);
    expect(lineage.weightsHash).toBe(chosen.weightsHash);
    expect(r.exitCode).toBe(report.budget!.pass ? 0 : 1);
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/★/);
    const again = await reproduceLineage(path.join(out, 'lineage.json'));
    expect(again.matches).toBe(true);
  });

  it('--timeout bounds the whole run: a trial still running at the deadline is stopped and the best so far written', async () => {
    const out = path.join(dir, 'timeout');
    const started = Date.now();
    const timeoutSeconds = 6;
    const r = await compress(model, out, {
      config: { ...tiny, data: { ...tiny.data, trainLimit: 55000 } }, data: { source: 'mnist', limit: 300 }, budget: 'drop<=0.01%,gzip<=4KB',
      // ~18× smaller than the tiny model with no accuracy lost: only pruned, clustered and fine-tuned candidates come
      // near it, and fine-tuning on all 55,000 training samples is slow, so the search is still fine-tuning at the deadline however
      // fast the machine (with 'drop<=0.01%' alone and 2,000 samples
      // a float16 screen met the budget, or every candidate was tried, before 6 s on a quiet box).
      search: { maxTrials: 50, timeoutSeconds },
    });
    const seconds = (Date.now() - started) / 1000;
    expect(r.report.search!.stopReason).toMatch(/timeout \(\d+(\.\d+)? s\)/);
    expect(r.report.trials.length).toBeGreaterThanOrEqual(1);
    // The search gets the timeout less a share for writing and measuring, and stops the trial in flight at the next
    // batch or step; the whole run stays near the limit (slack for a loaded machine).
    expect(r.report.search!.seconds).toBeLessThanOrEqual(timeoutSeconds + 3);
    expect(seconds).toBeLessThan(timeoutSeconds + 8);
  });

  it('refuses, before any trial, an accuracy criterion on unlabelled data (exit 2, one line)', async () => {
    const xs = writeNpy(path.join(dir, 'x.npy'), [8, 784], Array(8 * 784).fill(3), '|u1');
    const out = path.join(dir, 'never');
    const r = await runCli('compress', model, '--out', out, '--data', xs, '--backend', 'cpu', '--no-latency', '--budget', 'acc>=0.9');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/budget criteria acc>=0\.9 need labels, and .*x\.npy has none/);
  });

  it('refuses, before any trial, agreement/kl on a model none of whose outputs can be class scores (exit 2, one line, nothing written)', async () => {
    // UpscalerJS' output is an image [N, H, W, 3]: no top-1 to agree on, so the criterion could never be measured.
    const out = path.join(dir, 'upscaler-never');
    const r = await runCli('compress', 'test/fixtures/real/upscaler', '--out', out, '--data', 'test/fixtures/real/photos', '--input-shape', '1,32,32,3',
      '--input-range', '0,255', '--backend', 'cpu', '--no-latency', '--budget', 'agreement>=0.99,kl<=0.01');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/budget criteria agreement>=0\.99, kl<=0\.01 compare class scores, and no output of the model is one \(.* \[\?, \?, \?, 3\]\).*cosine or psnr/);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['keypoints [1, 1, 17, 3]', [null, 1, 17, 3], false],
    ['boxes [?, 896, 17]', [null, 896, 17], false],
    ['class scores [?, 7]', [null, 7], true],
    ['class scores [?, 1000, 1, 1]', ['batch', 1000, 1, 1], true],
    ['a free class dim [?, ?]', [null, null], true],
  ])('checkMeasurable with one output, %s: agreement allowed = %s', (_name, shape, allowed) => {
    const check = () => checkMeasurable(parseBudget('agreement>=0.99'), { labelled: false, latency: false, outputs: [{ name: 'out', shape: shape as (number | string | null)[] }] });
    if (allowed) expect(check).not.toThrow();
    else expect(check).toThrow(/compare class scores, and no output of the model is one/);
  });

  it('searches an ONNX model through its adapter (weight-only steps, one-shot)', async () => {
    const out = path.join(dir, 'lenet5.onnx');
    const r = await compress('models/onnx/mnist-lenet5.onnx', out, {
      config: { version: 1, seed: 1, steps: [], data: { validationLimit: 200, calibrationSamples: 64 } }, data: { source: 'mnist', limit: 200 },
      budget: 'cosine>=0.99', search: { maxTrials: 8, timeoutSeconds: 600 },
    });
    const { report } = r;
    expect(report.search).toMatchObject({ mode: 'search the pipeline' });
    expect(report.trials.length).toBeGreaterThan(3);
    expect(report.trials.every((t) => t.metrics.gzipBytes > 0 && t.split === 'validation')).toBe(true);
    // ONNX has no QAT, no distillation and no channel pruning here: the search never proposes them.
    expect(report.trials.flatMap((t) => t.config.steps).some((s) => s.step === 'qat' || s.step === 'distill' || /structured/.test(String(s.options.method)))).toBe(false);
    const chosen = report.trials.find((t) => t.id === report.search!.chosen)!;
    expect(chosen.pass).toBe(true);
    // Smaller than int8 weights alone would be (the int8 screen is one of the trials).
    const int8 = report.trials.find((t) => t.reason === 'whole model: weight-format int8')!;
    expect(chosen.metrics.gzipBytes).toBeLessThanOrEqual(int8.metrics.gzipBytes);
    expect(report.output.metrics.gzipBytes).toBeLessThan(report.input.metrics.gzipBytes / 3);
    expect(r.exitCode).toBe(report.budget!.pass ? 0 : 1);
  });
});
