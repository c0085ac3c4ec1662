import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/formats/index.js';
import type { LoadedLayersModel } from '../../src/formats/types.js';
import { checkBudget, parseBudget, type Measurement } from '../../src/measure/index.js';
import { DataProvider, Journal, parsePipelineConfig, searchBudget, shortfall, type SearchResult } from '../../src/pipeline/index.js';
import { applyAccuracyMargin, hasDropLimit, pairCounts, pairedStandardError } from '../../src/pipeline/search/margin.js';
import { runCli } from '../cli/run.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { saveTinyMnistModel, TINY_DATA } from './helpers.js';

describe('pairedStandardError (McNemar: SE = sqrt(b + c − (b − c)²/n) / n)', () => {
  it.each([
    // n, b (input right, candidate wrong), c (the reverse), SE as a fraction
    [100, 3, 1, 0.0198997487421324], // sqrt(4 − 4/100) / 100 = sqrt(3.96) / 100
    [100, 0, 0, 0], // no discordant sample: the two models agree everywhere
    [10, 5, 5, 0.31622776601683794], // sqrt(10) / 10
    [50, 4, 0, 0.03836665218650176], // sqrt(4 − 16/50) / 50
    [4, 4, 0, 0], // every sample lost: the difference is certain
    [5000, 24, 13, 0.0012161545954359585], // sqrt(37 − 121/5000) / 5000
  ])('n=%i, b=%i, c=%i → %f', (n, lost, gained, se) => {
    expect(pairedStandardError({ n, lost, gained })).toBeCloseTo(se, 15);
  });

  it('counts the discordant samples of two correctness vectors', () => {
    const original = Uint8Array.from([1, 1, 1, 0, 0, 1]);
    const candidate = Uint8Array.from([1, 0, 1, 1, 0, 0]);
    expect(pairCounts(original, candidate)).toEqual({ n: 6, lost: 2, gained: 1 });
    expect(() => pairCounts(original, candidate.subarray(1))).toThrow(/6 original predictions but 5 candidate/);
  });
});

describe('applyAccuracyMargin', () => {
  // 5,000 validation samples, 24 lost and 13 gained: drop (24 − 13)/5000 = 0.22 pt, SE 0.1216 pt.
  const counts = { n: 5000, lost: 24, gained: 13 };
  const measured = (m: Partial<Measurement>) => checkBudget(parseBudget('drop<=0.3%,params<=1k'), { params: 500, ...m });

  it.each([
    [1, false, 'drop 0.22 pt + 1.0×0.12 pt SE = 0.34 pt > 0.3 pt'],
    [0, true, 'drop 0.22 pt + 0.0×0.12 pt SE = 0.22 pt ≤ 0.3 pt'],
    [0.5, true, 'drop 0.22 pt + 0.5×0.12 pt SE = 0.28 pt ≤ 0.3 pt'],
    [1.645, false, 'drop 0.22 pt + 1.645×0.12 pt SE = 0.42 pt > 0.3 pt'],
  ])('a drop under the limit whose bound is over it: z=%f → pass %s, "%s"', (z, pass, verdict) => {
    const raw = measured({ drop: 0.22 });
    expect(raw.pass).toBe(true);
    const { check, margin } = applyAccuracyMargin(raw, counts, z);
    expect(margin).toMatchObject({ criterion: 'drop<=0.3%', z, samples: 5000, lost: 24, gained: 13, drop: 0.22, limit: 0.3, pass, verdict });
    expect(margin!.se).toBeCloseTo(0.12161545954359585, 12);
    expect(margin!.bound).toBeCloseTo(0.22 + z * 0.12161545954359585, 12);
    expect(check.pass).toBe(pass);
    const drop = check.criteria.find((c) => c.metric === 'drop')!;
    // The raw drop stays the measured value; the headroom is what is left after the margin.
    expect(drop).toMatchObject({ measured: 0.22, pass });
    expect(drop.margin).toBeCloseTo(0.3 - margin!.bound, 12);
    expect(check.criteria.find((c) => c.metric === 'params')).toEqual(raw.criteria[1]);
    // The search ranks candidates by the bound's miss.
    expect(shortfall(check) > 0).toBe(!pass);
  });

  it('a strict limit: the bound must stay below it', () => {
    const raw = checkBudget(parseBudget('drop<0.22%'), { drop: 0.2 });
    expect(applyAccuracyMargin(raw, { n: 5000, lost: 10, gained: 0 }, 0).margin!.verdict).toBe('drop 0.20 pt + 0.0×0.06 pt SE = 0.20 pt < 0.22 pt');
    expect(applyAccuracyMargin(raw, { n: 5000, lost: 10, gained: 0 }, 1).margin!.verdict).toBe('drop 0.20 pt + 1.0×0.06 pt SE = 0.26 pt ≥ 0.22 pt');
  });

  it.each([
    ['no drop criterion', 'acc>=0.9', { accuracy: 0.95 }],
    ['a drop that was not measured', 'drop<=0.3%', {}],
  ])('leaves a check with %s unchanged', (_name, budget, m) => {
    const raw = checkBudget(parseBudget(budget), m);
    expect(applyAccuracyMargin(raw, counts, 1)).toEqual({ check: raw });
  });

  it.each([
    ['drop<=0.5%', true], ['gzip<=40KB,drop<1pt', true], ['acc>=0.98', false], ['gzip<=40KB', false],
  ])('hasDropLimit(%s) → %s', (budget, has) => {
    expect(hasDropLimit(parseBudget(budget))).toBe(has);
  });
});

describe('the budget search with an accuracy margin (tiny MNIST model)', () => {
  let dir: string;
  let source: LoadedLayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await makeTmpDir('shrinkml-margin-');
    source = await loadModel(await saveTinyMnistModel(dir)) as LoadedLayersModel;
  });
  afterAll(async () => {
    source.model.dispose();
    await removeTmpDir(dir);
  });

  let runs = 0;
  async function search(o: { method: string; finetuneEpochs: number; budget: string; accuracyMargin: number; maxTrials: number }): Promise<SearchResult> {
    const config = parsePipelineConfig({ seed: 1, steps: [{ step: 'prune', options: { method: o.method, finetuneEpochs: o.finetuneEpochs, batchSize: 64 } }] });
    const journal = Journal.open({
      file: path.join(dir, `search-${runs++}.trials.json`), resume: false,
      key: { sourceHash: '', config, budget: o.budget, data: 'mnist', backend: 'cpu' },
    }).journal;
    const result = await searchBudget({
      source, config, budget: parseBudget(o.budget), data: new DataProvider(TINY_DATA), journal,
      maxTrials: o.maxTrials, timeoutSeconds: 600, accuracyMargin: o.accuracyMargin,
    });
    result.run.model.dispose();
    return result;
  }

  it('still meets a reachable budget, recording drop, SE and bound for every trial', async () => {
    const tensors = tf.memory().numTensors;
    const result = await search({ method: 'magnitude:0.5:global', finetuneEpochs: 1, budget: 'drop<=3%', accuracyMargin: 1, maxTrials: 3 });
    expect(result.chosen).toBeDefined();
    for (const t of result.trials) {
      const m = t.accuracyMargin!;
      expect(m).toMatchObject({ criterion: 'drop<=3%', z: 1, samples: 300, limit: 3, pass: t.pass });
      // The paired counts give the same drop the measurement reports, on the same samples.
      expect(m.drop).toBeCloseTo(t.metrics.drop!, 9);
      expect(100 * (m.lost - m.gained) / m.samples).toBeCloseTo(m.drop, 9);
      expect(m.se).toBeCloseTo(100 * pairedStandardError({ n: m.samples, lost: m.lost, gained: m.gained }), 12);
      expect(m.bound).toBeCloseTo(m.drop + m.se, 12);
    }
    expect(result.chosen!.accuracyMargin!.bound).toBeLessThanOrEqual(3);
    // The input model's predictions, the candidates read back and every trial's model are all released.
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('rejects a candidate whose drop is under the limit but whose bound is over it with z=1, and keeps it with z=0', async () => {
    const probe = await search({ method: 'magnitude:0.9:global', finetuneEpochs: 0, budget: 'drop<=100%', accuracyMargin: 0, maxTrials: 1 });
    const { drop, se } = probe.trials[0]!.accuracyMargin!;
    expect(drop).toBeGreaterThan(0);
    expect(se).toBeGreaterThan(0);
    // Halfway between the drop and drop + 1 SE.
    const budget = `drop<=${(drop + se / 2).toFixed(4)}pt`;
    const strict = await search({ method: 'magnitude:0.9:global', finetuneEpochs: 0, budget, accuracyMargin: 1, maxTrials: 1 });
    const loose = await search({ method: 'magnitude:0.9:global', finetuneEpochs: 0, budget, accuracyMargin: 0, maxTrials: 1 });
    expect(strict.trials[0]!.metrics.drop).toBeCloseTo(drop, 9);
    expect(strict.trials[0]).toMatchObject({ pass: false, accuracyMargin: { pass: false } });
    expect(strict.chosen).toBeUndefined();
    expect(strict.trials[0]!.accuracyMargin!.verdict).toMatch(/^drop [\d.]+ pt \+ 1\.0×[\d.]+ pt SE = [\d.]+ pt > [\d.]+ pt$/);
    expect(loose.trials[0]).toMatchObject({ pass: true, accuracyMargin: { pass: true } });
    expect(loose.chosen?.id).toBe(0);
  });
});

describe('shrinkml compress --accuracy-margin', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await makeTmpDir('shrinkml-margin-cli-');
    model = await saveTinyMnistModel(dir);
  });
  afterAll(() => removeTmpDir(dir));

  const FAST = ['--data', 'mnist', '--limit', '300', '--train-limit', '256', '--validation-limit', '300', '--backend', 'cpu', '--no-latency'];

  it('defaults to 1, takes a flag over the config, and refuses a negative z', async () => {
    const dry = async (...extra: string[]) => JSON.parse((await runCli('compress', model, '--out', path.join(dir, 'dry'), '--backend', 'cpu', '--prune', 'magnitude:0.5',
      '--data', 'mnist', '--budget', 'drop<=1%', '--dry-run', ...extra)).stdout).search;
    expect((await dry()).accuracyMargin).toBe(1);
    expect((await dry('--accuracy-margin', '0')).accuracyMargin).toBe(0);
    expect((await dry('--accuracy-margin', '1.645')).accuracyMargin).toBe(1.645);
    const config = path.join(dir, 'margin.json');
    writeFileSync(config, JSON.stringify({ steps: [{ step: 'prune', options: { method: 'magnitude:0.5' } }], search: { accuracyMargin: 2 } }));
    expect((await dry('--config', config)).accuracyMargin).toBe(2);
    expect((await dry('--config', config, '--accuracy-margin', '0')).accuracyMargin).toBe(0);
    expect(() => parsePipelineConfig({ steps: [{ step: 'prune', options: { method: 'magnitude:0.5' } }], search: { accuracyMargin: -0.5 } }, 'p.json'))
      .toThrow(/p\.json: search\.accuracyMargin must be ≥ 0, got -0\.5/);
    const bad = await runCli('compress', model, '--out', path.join(dir, 'never'), '--backend', 'cpu', '--accuracy-margin', '-1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--accuracy-margin.*expected a number of standard errors from 0 to 10, got '-1'/);
  });

  it('shows the margin in the trial lines, the verdict and report.json', async () => {
    const out = path.join(dir, 'strict');
    const r = await runCli('compress', model, '--out', out, ...FAST, '--prune', 'magnitude:0.9:global', '--budget', 'drop<=0.5%', '--max-trials', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/trial 0: .* on validation — FAIL: drop<=0\.5% failed: drop [\d.]+ pt \+ 1\.0×[\d.]+ pt SE = [\d.]+ pt > 0\.5 pt/);
    expect(r.stderr).toMatch(/budget NOT met: no candidate met the budget in 1 trial .*\(on validation: drop [\d.]+ pt \+ 1\.0×[\d.]+ pt SE = [\d.]+ pt > 0\.5 pt\)/);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.trials[0].accuracyMargin).toMatchObject({ criterion: 'drop<=0.5%', z: 1, samples: 300, limit: 0.5, pass: false });
    expect(Object.keys(report.trials[0].accuracyMargin).sort()).toEqual(['bound', 'criterion', 'drop', 'gained', 'limit', 'lost', 'pass', 'samples', 'se', 'verdict', 'z']);
  });

  it('refuses to resume trials judged with another margin', async () => {
    const key = { sourceHash: 'h', config: {}, budget: 'drop<=1%', data: 'mnist', backend: 'cpu' };
    const file = path.join(dir, 'old.trials.json');
    const recorded = Journal.open({ file, resume: false, key: { ...key, accuracyMargin: 0 } }).journal;
    await recorded.save();
    expect(() => Journal.open({ file, resume: true, key: { ...key, accuracyMargin: 1 } })).toThrow(/different accuracy margin; cannot resume/);
    expect(Journal.open({ file, resume: true, key: { ...key, accuracyMargin: 0 } }).resumed).toBe(0);
    // A journal written before the margin existed has no accuracyMargin in its key.
    const old = Journal.open({ file, resume: false, key }).journal;
    await old.save();
    expect(() => Journal.open({ file, resume: true, key: { ...key, accuracyMargin: 1 } })).toThrow(/different accuracy margin/);
  });
});
