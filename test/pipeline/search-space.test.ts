import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/formats/index.js';
import type { LoadedLayersModel } from '../../src/formats/types.js';
import { compress, DataProvider, Journal, searchBudget, type TrialRecord, type TrialSpec } from '../../src/pipeline/index.js';
import { better, objectiveOf } from '../../src/pipeline/search/score.js';
import { allocationConfig, searchSpace, searchUnits, unitTables, type Space } from '../../src/pipeline/search/space.js';
import { probeUnits } from '../../src/pipeline/search/allocate.js';
import { loadData } from '../../src/data/index.js';
import { getStep, STEPS, stepImpl, supportedKinds } from '../../src/pipeline/steps/index.js';
import { measureSize, parseBudget } from '../../src/measure/index.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { saveTinyMnistModel } from './helpers.js';

const stepsOf = (space: Space) => [...space.screens, ...space.trained].flatMap((c) => c.steps);
const names = (space: Space) => [...space.screens.map((s) => s.name), ...space.trained.map((t) => t.name)];

describe('the search space: each step kind only where the format supports it', () => {
  it('tfjs Layers with data: static int8, narrower widths as screens; QAT, fine-tuned widths and distilled students as trained candidates', () => {
    const space = searchSpace({ kind: 'layers', hasTrainData: true, hasCalibration: true });
    expect(space.screens.map((s) => s.name)).toEqual(['weight-format float16', 'weight-format int8', 'weight-format int4', 'ptq static', 'width 0.5', 'width 0.25']);
    expect(space.trained.map((t) => [t.name, t.estimate])).toEqual([
      ['qat int8', 'ptq static'],
      ['width 0.5, fine-tuned', 'width 0.5'], ['distilled into width 0.5', 'width 0.5'],
      ['width 0.25, fine-tuned', 'width 0.25'], ['distilled into width 0.25', 'width 0.25'],
    ]);
    // The narrow candidates keep what they were asked to: half the channels pruned, a half-width student.
    expect(space.screens.find((s) => s.name === 'width 0.5')!.steps[0]).toEqual({ step: 'prune', options: { method: 'structured:0.5' } });
    expect(space.trained.find((t) => t.name === 'distilled into width 0.25')!.steps[0]!.options.studentWidth).toBe(0.25);
  });

  it.each([
    ['onnx', true], ['graph', true], ['layers', false],
  ] as const)('%s (train data: %s) never gets QAT, distillation or structured width', (kind, data) => {
    const space = searchSpace({ kind, hasTrainData: data, hasCalibration: data });
    expect(space.trained).toEqual([]);
    const steps = stepsOf(space);
    expect(steps.some((s) => s.step === 'qat' || s.step === 'distill' || /structured/.test(String(s.options.method)))).toBe(false);
    expect(names(space)).not.toContain('width 0.5');
    // Storage formats are always there; static int8 only with calibration data.
    expect(names(space)).toContain('weight-format int8');
    expect(names(space).includes('ptq static')).toBe(data);
  });

  it('a tfjs graph model: float16, calibrated int8/int4 weights, static int8 and shared codes — step kinds the registry runs on graph models, none it refuses', () => {
    const space = searchSpace({ kind: 'graph', hasTrainData: true, hasCalibration: true });
    expect(space.screens.map((s) => s.name)).toEqual(['weight-format float16', 'weight-format int8', 'weight-format int4', 'ptq static']);
    const allocation = allocationConfig({ kind: 'graph', seed: 1, trains: false, units: ['a', 'b'], picks: [{ sparsity: 0, clusters: 16 }, { sparsity: 0, clusters: null }] });
    const steps = [...stepsOf(space), ...allocation.steps];
    for (const s of steps) expect(() => stepImpl(getStep(s.step), 'graph', s.options)).not.toThrow();
    const used = new Set(steps.map((s) => s.step));
    const refused = STEPS.filter((s) => !supportedKinds(s).includes('graph')).map((s) => s.name);
    expect(refused.length).toBeGreaterThan(0);
    for (const name of refused) expect(used.has(name)).toBe(false);
    // Pruning runs on graph models but is not searched: without fine-tuning, magnitude pruning of a MobileNet loses
    // accuracy (bench/results/real-models.md, int8 + magnitude 50%), so every allocation choice is dense.
    expect([...used].sort()).toEqual(['cluster', 'ptq', 'weight-format']);
    expect(space.choices.every((c) => c.sparsity === 0)).toBe(true);
    expect(allocation.steps.find((s) => s.step === 'cluster')!.options).toMatchObject({ storage: 'uint8', layers: { a: 16 }, exclude: ['b'] });
  });

  it('screening fine-tunes are shorter and gentler than the full fine-tune; one-shot candidates do not train', () => {
    const o = { kind: 'layers' as const, seed: 1, units: ['fc1', 'fc2'], picks: [{ sparsity: 0.9, clusters: 16 }, { sparsity: 0, clusters: 32 }] };
    const screen = allocationConfig({ ...o, trains: 'screen' });
    const full = allocationConfig({ ...o, trains: 'full' });
    const epochs = (c: typeof full) => c.steps.reduce((a, s) => a + Number(s.options.finetuneEpochs), 0);
    expect(epochs(screen)).toBeLessThanOrEqual(epochs(full) / 3);
    expect(Number(screen.steps[0]!.options.learningRate)).toBeLessThan(Number(full.steps[0]!.options.learningRate));
    // Same candidate otherwise: the per-layer choices do not depend on the recipe.
    for (const c of [screen, full]) {
      expect(c.steps.map((s) => s.step)).toEqual(['prune', 'cluster']);
      expect(c.steps[0]!.options.layers).toEqual({ fc1: 0.9 });
      expect(c.steps[1]!.options.layers).toEqual({ fc1: 16, fc2: 32 });
    }
    expect(allocationConfig({ ...o, trains: false }).steps.every((s) => s.options.finetuneEpochs === undefined)).toBe(true);
  });
});

describe('the search objective', () => {
  it.each([
    ['drop<=0.3%', 'gzip'], ['gzip<=40KB,drop<=0.5%', 'gzip'], ['p50<=2ms,drop<=0.5%', 'p50'], ['p95<=2ms', 'p50'], ['p50<=2ms,gzip<=40KB', 'gzip'],
  ] as const)('%s → smallest %s among passing candidates', (budget, objective) => {
    expect(objectiveOf(parseBudget(budget))).toBe(objective);
  });

  it('a latency-bound budget prefers the faster of two passing candidates, a size budget the smaller', () => {
    const trial = (gzipBytes: number, p50Ms: number, budget: string) => ({ pass: true, shortfall: 0, metrics: { gzipBytes, p50Ms }, budget: { criteria: parseBudget(budget).criteria } });
    const fastBig = (b: string) => trial(60_000, 0.1, b);
    const slowSmall = (b: string) => trial(20_000, 0.3, b);
    expect(better(fastBig('p50<=1ms,drop<=1%'), slowSmall('p50<=1ms,drop<=1%'))).toBe(true);
    expect(better(slowSmall('p50<=1ms,drop<=1%'), fastBig('p50<=1ms,drop<=1%'))).toBe(false);
    expect(better(slowSmall('drop<=1%'), fastBig('drop<=1%'))).toBe(true);
  });
});

describe('a latency-bound search (tiny model, tiny limits)', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await makeTmpDir('shrinkml-space-');
    model = await saveTinyMnistModel(dir);
  });
  afterAll(() => removeTmpDir(dir));

  it('p50<= with no size limit: static int8 is the lever it picks; storage formats and the allocation path are not tried', async () => {
    const r = await compress(model, path.join(dir, 'p50'), {
      config: { version: 1, seed: 1, steps: [], data: { trainLimit: 256, validationLimit: 300, calibrationSamples: 64 } },
      data: { source: 'mnist', limit: 300 }, budget: 'p50<=10000ms,drop<=2%', latency: { warmup: 2, runs: 5 }, search: { maxTrials: 12, timeoutSeconds: 600 },
    });
    const { report } = r;
    expect(report.search).toMatchObject({ mode: 'search the pipeline', objective: 'p50' });
    const reasons = report.trials.map((t) => t.reason);
    expect(reasons.slice(0, 3)).toEqual(['whole model: ptq static', 'whole model: width 0.5', 'whole model: width 0.25']);
    // Storage formats and sparsity/shared codes do not make the model faster: not tried once a lever passed.
    expect(reasons.some((x) => /^allocation|weight-format/.test(x))).toBe(false);
    // The narrow networks lose far more than 2 pt on 24 hidden units and 256 training images, fine-tuned or
    // distilled; calibrated static int8 keeps the accuracy, so it is the output.
    const chosen = report.trials.find((t) => t.id === report.search!.chosen)!;
    expect(chosen.reason).toBe('whole model: ptq static');
    expect(chosen.metrics.p50Ms).toBe(Math.min(...report.trials.filter((t: TrialRecord) => t.pass).map((t) => t.metrics.p50Ms!)));
    expect(r.exitCode).toBe(0);
    // QAT is only worth its training when static int8 fails on accuracy alone; here it passed.
    expect(reasons.some((x) => /qat/.test(x))).toBe(false);
  });
});

/**
 * The search's decisions against a synthetic world (a fake executor; the probes and the rebuild of the chosen trial
 * run for real on the tiny model): along the allocation path, a one-shot candidate keeps the accuracy from 80% of
 * the path up, a screening fine-tune from 50%, the full fine-tune from 35%, a long one from 25%; below that the drop
 * grows with the distance. Size grows along the path.
 */
describe('cheap before expensive (synthetic trial outcomes)', () => {
  let dir: string;
  let source: LoadedLayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await makeTmpDir('shrinkml-world-');
    source = await loadModel(await saveTinyMnistModel(dir)) as LoadedLayersModel;
  });
  afterAll(async () => {
    source.model.dispose();
    await removeTmpDir(dir);
  });

  it('probes measure on fewer samples (at least 32) when one probe per unit would outrun their time budget', async () => {
    const space = searchSpace({ kind: 'layers', hasTrainData: false, hasCalibration: false });
    const tables = await unitTables(source, await searchUnits(source), space);
    const samples = await loadData({ source: 'mnist', split: 'validation', limit: 200 });
    const roomy = await probeUnits({ source, tables, samples, budgetSeconds: 1e6 });
    expect([roomy.exhaustive, roomy.samples]).toEqual([true, 200]);
    const tight = await probeUnits({ source, tables, samples, budgetSeconds: 1e-6 });
    expect([tight.exhaustive, tight.samples]).toEqual([false, 32]);
    expect(tight.rows).toHaveLength(tables.length);
    expect(tight.rows.every((r) => r.distortion >= 0 && Number.isFinite(r.scale))).toBe(true);
  });

  const FROM: Record<string, number> = { 'one-shot': 0.8, 'screening fine-tune': 0.5, 'fine-tuned': 0.35, 'long fine-tune': 0.25 };
  const world = (spec: TrialSpec): TrialRecord => {
    const m = /^allocation (\d+)\/(\d+), (one-shot|screening fine-tune|fine-tuned|long fine-tune)/.exec(spec.reason);
    const at = m ? (Number(m[1]) - 1) / (Number(m[2]) - 1) : undefined;
    // Whole-model storage formats pass at a large size; narrower networks lose too much to pass.
    const drop = at === undefined ? (/width/.test(spec.reason) ? 5 : 0) : at >= FROM[m![3]!]! ? 0.1 : 0.3 + 2 * (FROM[m![3]!]! - at);
    const gzipBytes = at === undefined ? 500_000 : 10_000 + 100_000 * at;
    const pass = drop <= 0.3;
    const criteria = [{ criterion: 'drop<=0.3%', metric: 'drop' as const, op: '<=' as const, target: 0.3, measured: drop, pass, margin: 0.3 - drop }];
    return {
      id: spec.id, config: spec.config, levels: spec.levels, reason: spec.reason, metrics: { params: 1, nonzeroParams: 1, sparsity: 0, bytes: gzipBytes, gzipBytes, drop },
      budget: { pass, criteria }, pass, shortfall: pass ? 0 : drop / 0.3 - 1, split: 'validation', seconds: 1, steps: [], ...(spec.fineTune === false ? { fineTuned: false } : {}),
    };
  };

  it.each([
    ['every passing screen is larger than the input: the input as it is is tried and chosen', 3, true],
    ['a passing screen is smaller than the input: the input as it is is not tried', 0.5, false],
  ])('%s', async (_, screenOverInput, asIs) => {
    const input = (await measureSize({ loaded: source })).gzipBytes;
    // Screens pass at screenOverInput × the input's gzip; every allocation misses on quality.
    const world2 = (spec: TrialSpec): TrialRecord => {
      const r = world(spec);
      const whole = !/^allocation/.test(spec.reason);
      const gzipBytes = spec.config.steps.length === 0 ? input : whole ? Math.round(screenOverInput * input) : r.metrics.gzipBytes;
      const drop = whole && !/width/.test(spec.reason) ? 0 : 1;
      const criteria = [{ criterion: 'drop<=0.3%', metric: 'drop' as const, op: '<=' as const, target: 0.3, measured: drop, pass: drop <= 0.3, margin: 0.3 - drop }];
      return { ...r, metrics: { ...r.metrics, gzipBytes, bytes: gzipBytes, drop }, budget: { pass: drop <= 0.3, criteria }, pass: drop <= 0.3, shortfall: drop <= 0.3 ? 0 : drop / 0.3 - 1 };
    };
    const config = { version: 1 as const, seed: 1, steps: [], data: { trainLimit: 64, validationLimit: 100 } };
    const journal = Journal.open({ file: path.join(dir, `as-is-${asIs}.trials.json`), resume: false, key: { sourceHash: '', config, budget: 'drop<=0.3%', data: 'mnist', backend: 'cpu' } }).journal;
    const result = await searchBudget({
      source, config, budget: parseBudget('drop<=0.3%'), data: new DataProvider({ source: 'mnist', trainLimit: 64, validationLimit: 100 }), journal,
      maxTrials: 12, timeoutSeconds: 600, executor: { runBatch: async (specs) => specs.map(world2), close: async () => {} },
    });
    try {
      const tried = result.trials.filter((t) => t.config.steps.length === 0);
      expect(tried.length).toBe(asIs ? 1 : 0);
      // Right after the screens, before the allocation path spends the trial budget.
      if (asIs) expect(result.trials.indexOf(tried[0]!)).toBe(result.trials.findIndex((t) => /^allocation/.test(t.reason)) - 1);
      expect(result.chosen!.metrics.gzipBytes).toBe(asIs ? input : Math.round(0.5 * input));
    } finally {
      if (result.run.kind === 'layers') result.run.model.dispose();
    }
  });

  it('screens bisect the path, the full fine-tune starts at the smallest screened pass and goes below it, a long one polishes the nearest miss', async () => {
    const config = { version: 1 as const, seed: 1, steps: [], data: { trainLimit: 64, validationLimit: 100 } };
    const journal = Journal.open({ file: path.join(dir, 'w.trials.json'), resume: false, key: { sourceHash: '', config, budget: 'drop<=0.3%', data: 'mnist', backend: 'cpu' } }).journal;
    const result = await searchBudget({
      source, config, budget: parseBudget('drop<=0.3%'), data: new DataProvider({ source: 'mnist', trainLimit: 64, validationLimit: 100 }), journal,
      maxTrials: 40, timeoutSeconds: 600, executor: { runBatch: async (specs) => specs.map(world), close: async () => {} },
    });
    try {
      const kind = (t: TrialRecord) => /^allocation/.test(t.reason) ? /one-shot|screening|long|fine-tuned/.exec(t.reason)![0] : 'whole';
      const index = (t: TrialRecord) => Number(/^allocation (\d+)/.exec(t.reason)![1]);
      const of = (k: string) => result.trials.filter((t) => kind(t) === k);
      const length = Number(/^allocation \d+\/(\d+)/.exec(of('fine-tuned')[0]!.reason)![1]);
      const at = (i: number) => (i - 1) / (length - 1);
      // Phases in order, each at most a bisection's worth of trials.
      expect(result.trials.map(kind).filter((k) => k !== 'whole').join(' ')).toMatch(/^(one-shot )+(screening )+(fine-tuned )+long$/);
      expect(of('screening').length).toBeLessThanOrEqual(Math.ceil(Math.log2(length)) + 1);
      const smallestScreen = Math.min(...of('screening').filter((t) => t.pass).map(index));
      expect(at(smallestScreen)).toBeGreaterThanOrEqual(0.5);
      expect(at(smallestScreen - 1)).toBeLessThan(0.5);
      const full = of('fine-tuned');
      expect(index(full[0]!)).toBe(smallestScreen);
      expect(full.every((t) => index(t) <= smallestScreen)).toBe(true);
      const bestFull = Math.min(...full.filter((t) => t.pass).map(index));
      expect(at(bestFull - 1)).toBeLessThan(0.35);
      // The long fine-tune went to the smallest full miss within half the limit, and won.
      const [long] = of('long');
      const nearMisses = full.filter((t) => !t.pass && t.shortfall <= 0.5).map(index);
      expect(index(long!)).toBe(Math.min(...nearMisses));
      expect(result.chosen?.id).toBe(long!.id);
      expect(result.stopReason).toBe('budget met');
    } finally {
      if (result.run.kind === 'layers') result.run.model.dispose();
    }
  });
});
