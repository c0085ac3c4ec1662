import * as tf from '@tensorflow/tfjs';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { ShrinkmlError, isShrinkmlError } from '../../core/errors.js';
import type { ProgressFn, WarnFn } from '../../core/progress.js';
import type { InputOptions } from '../../data/feeds.js';
import type { LoadedModel } from '../../formats/types.js';
import { formatOf } from '../../formats/index.js';
import { budgetToString, hasLatencyCriterion, measureSize, type Budget, type LatencyOptions } from '../../measure/index.js';
import { layersModelTargets } from '../../prune/targets.js';
import type { PipelineConfig } from '../config.js';
import type { DataProvider } from '../data.js';
import { MAX_LEVEL, type LayerLevels } from '../steps/types.js';
import { allocationPath, probeUnits, type PathPoint, type UnitSensitivity } from './allocate.js';
import { localExecutor, type SearchJobContext, type TrialExecutor, type TrialSpec } from './executor.js';
import type { Journal } from './journal.js';
import { DEFAULT_ACCURACY_MARGIN } from './margin.js';
import { paretoFrontOf } from '../../report/pareto.js';
import { better, checkMeasurable, failing, objectiveOf, objectiveValue } from './score.js';
import { probeSensitivity, type SensitivityRow } from './sensitivity.js';
import { allocationConfig, searchSpace, searchUnits, unitTables, type FineTune, type Screen, type TrainedCandidate, type UnitTable } from './space.js';
import { buildCandidate, openTrialRuntime, type CandidateRun, type TrialRuntime } from './trial.js';
import type { TrialRecord } from './types.js';

export interface SearchOptions {
  /** The input model (any format with an adapter): the starting point of every trial and the reference. */
  source: LoadedModel;
  /**
   * The written pipeline: its steps as written are the most aggressive candidate, and the search relaxes them per
   * layer. With no steps the search builds the pipeline itself from the steps the format supports.
   */
  config: PipelineConfig;
  budget: Budget;
  data: DataProvider;
  journal: Journal;
  /** Bounds: trials built and measured, and seconds for the whole search (a trial running past it is stopped). */
  maxTrials: number;
  timeoutSeconds: number;
  /** Latency settings for budgets with p50/p95 (ignored otherwise). */
  latency?: Omit<LatencyOptions, 'model' | 'onProgress'>;
  /**
   * Standard errors of the paired accuracy difference added to a trial's drop before it is checked against a
   * drop limit (see margin.ts); default 1, 0 judges the raw drop.
   */
  accuracyMargin?: number;
  /** Samples for sensitivity probes (the first n of the validation split); default 1,000. */
  sensitivitySamples?: number;
  batchSize?: number;
  /** How model inputs are fed (recorded in the job context for workers). */
  inputs?: InputOptions;
  /**
   * Where trials run: default this process. A factory gets the search's job context (what a worker needs, as JSON).
   * The chosen trial is rebuilt here from its config and seed unless the executor kept it.
   */
  executor?: TrialExecutor | ((ctx: SearchJobContext) => TrialExecutor | Promise<TrialExecutor>);
  /** Each trial as it finishes (for a log line). */
  onTrial?: (trial: TrialRecord, resumed: boolean) => void;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
  signal?: AbortSignal;
}

export interface SearchResult {
  trials: TrialRecord[];
  /** Layer probes of a written pipeline (per fallback level). */
  sensitivity: SensitivityRow[];
  /** Unit probes of a search without a written pipeline (output distortion per unit at one choice). */
  probes?: UnitSensitivity[];
  /** The passing candidate (the smallest gzip that met the budget on the validation split), if any. */
  chosen?: TrialRecord;
  /** The candidate nearest the budget (the chosen one when one passed). */
  closest: TrialRecord;
  /** Ids of the trials on the Pareto front of gzip size × validation quality × p50 (see pareto.ts). */
  pareto: number[];
  /** The closest candidate's model, in memory; the caller disposes it (disposeCandidate). */
  run: CandidateRun;
  stopReason: string;
  seconds: number;
}

/** The JSON a worker needs to run this search's trials (see executor.ts). */
export function searchJobContext(o: Pick<SearchOptions, 'source' | 'config' | 'budget' | 'data' | 'latency' | 'accuracyMargin' | 'batchSize' | 'inputs'>): SearchJobContext {
  return {
    searchId: randomUUID(), modelPath: path.resolve(o.source.source), data: o.data.options, split: 'validation', budget: budgetToString(o.budget),
    backend: o.source.kind === 'onnx' ? 'onnxruntime-node' : tf.getBackend(), inputs: o.inputs, batchSize: o.batchSize,
    accuracyMargin: o.accuracyMargin ?? DEFAULT_ACCURACY_MARGIN, seed: o.config.seed,
    // A latency criterion turns latency on with the defaults unless settings were given.
    latency: o.latency ?? (hasLatencyCriterion(o.budget) ? {} : false),
  };
}

type Candidate = Omit<TrialSpec, 'id' | 'of'>;

const trialKey = (t: { config: PipelineConfig; levels: LayerLevels; fineTune?: boolean; fineTuned?: boolean }) =>
  JSON.stringify([t.config, t.levels, t.fineTune ?? t.fineTuned ?? true]);

/**
 * Training epochs of a candidate's steps (0: one-shot), what a trial's time scales with: a screening fine-tune's
 * time predicts a full one's before the first full one has run.
 */
function epochsOf(c: Candidate): number {
  if (c.fineTune === false) return 0;
  return c.config.steps.reduce((a, s) => a + Number(s.options.finetuneEpochs ?? s.options.epochs ?? 0), 0);
}

/** Runs candidates through the executor within the limits, replaying the journal and keeping score. */
class Trials {
  readonly all: TrialRecord[] = [];
  best: TrialRecord | undefined;
  stop = '';
  private readonly durations: { epochs: number; seconds: number }[] = [];

  constructor(private readonly o: SearchOptions, private readonly executor: TrialExecutor, private readonly started: number, private readonly signal: AbortSignal) {}

  get chosen(): TrialRecord | undefined {
    return this.best?.pass ? this.best : undefined;
  }

  /** Records in candidate order; undefined where a limit stopped it (then `stop` says which). */
  async run(candidates: Candidate[]): Promise<(TrialRecord | undefined)[]> {
    const out: (TrialRecord | undefined)[] = candidates.map(() => undefined);
    const fresh: { at: number; spec: TrialSpec }[] = [];
    const journal = this.o.journal.data;
    for (const [at, c] of candidates.entries()) {
      if (this.stop) break;
      const recorded = journal.trials.find((t) => trialKey(t) === trialKey(c));
      if (recorded) {
        this.record(recorded, true);
        out[at] = recorded;
        continue;
      }
      if (this.all.length + fresh.length >= this.o.maxTrials) { this.stop = `max-trials (${this.o.maxTrials}) reached`; break; }
      const expected = this.expected(epochsOf(c)) * (fresh.length + 1);
      if ((Date.now() - this.started) / 1000 + expected > this.o.timeoutSeconds) {
        this.stop = `timeout (${Math.round(this.o.timeoutSeconds)} s): the next trial would not finish in time`;
        break;
      }
      fresh.push({ at, spec: { ...c, id: journal.trials.length + fresh.length, of: this.o.maxTrials } });
    }
    if (!fresh.length) return out;
    const t0 = Date.now();
    const records = await this.executor.runBatch(fresh.map((f) => f.spec), this.signal);
    const each = (Date.now() - t0) / 1000 / fresh.length;
    for (const [i, f] of fresh.entries()) {
      const trial = records[i]!;
      this.durations.push({ epochs: epochsOf(f.spec), seconds: each });
      journal.trials.push(trial);
      this.record(trial, false);
      out[f.at] = trial;
    }
    await this.o.journal.save();
    return out;
  }

  /** Seconds a trial with `epochs` of training should take: the slowest one-shot trial plus the slowest epoch seen. */
  private expected(epochs: number): number {
    const oneShot = Math.max(0, ...this.durations.filter((d) => d.epochs === 0).map((d) => d.seconds));
    if (!epochs) return oneShot;
    const perEpoch = Math.max(0, ...this.durations.filter((d) => d.epochs > 0).map((d) => (d.seconds - oneShot) / d.epochs));
    return oneShot + perEpoch * epochs;
  }

  private record(trial: TrialRecord, resumed: boolean): void {
    if (this.all.some((t) => t.id === trial.id)) return;
    this.all.push(trial);
    this.o.onTrial?.(trial, resumed);
    if (better(trial, this.best)) this.best = trial;
  }
}

/**
 * Accuracy-aware search for the smallest model that meets the whole budget.
 *
 * Without a written pipeline (objective: the smallest gzip size, or the lowest p50 when the budget limits latency
 * and not size, see score.ts objectiveOf): one cheap trial per whole-model storage choice the format supports
 * (float16, int8, int4 weights; static int8 with calibration data), then the per-layer allocation path (allocate.ts:
 * magnitude sparsity × shared codes per layer, from fine-tuning-free probes) bisected with one-shot trials, then —
 * where the format trains — bisected again with short screening fine-tunes on a subset of the train split, and
 * the full fine-tune only for the smallest screened pass and the few points just below it. Last, the trained
 * whole-model candidates (QAT; a narrower network, fine-tuned or distilled into, as static int8), each only where
 * its one-shot estimate's cost beats the best so far. A latency-bound budget searches only what makes the model
 * faster: static int8 and the narrower networks, with storage formats as the fallback.
 * With a written pipeline: its per-layer fallback levels (0 as written … MAX_LEVEL
 * untouched), probed per layer and level, form the path, bisected from the pipeline as written.
 *
 * A quality miss moves toward larger candidates, a size/latency miss toward smaller ones, so a candidate that
 * passes on size with room left and fails on accuracy is followed by one that spends the room. A drop limit must
 * hold with a margin for the validation sample's noise (drop + z·SE, see margin.ts). The timeout covers the whole
 * search: a trial still running at the deadline is stopped and the best candidate so far is the result.
 * Deterministic, so a resumed search replays recorded trials and continues where it stopped.
 */
export async function searchBudget(o: SearchOptions): Promise<SearchResult> {
  const started = Date.now();
  const timer = new AbortController();
  const clock = setTimeout(() => timer.abort(), Math.max(1, o.timeoutSeconds * 1000));
  const signal = o.signal ? AbortSignal.any([o.signal, timer.signal]) : timer.signal;
  const ctx = searchJobContext(o);
  const rt = await openTrialRuntime(ctx, { source: o.source, data: o.data, onProgress: o.onProgress, onWarn: o.onWarn, signal });
  let executor: TrialExecutor | undefined;
  try {
    checkMeasurable(o.budget, { data: o.data.options?.source, labelled: !!rt.validation.labels, latency: ctx.latency !== false, outputs: formatOf(o.source).outputs(o.source) });
    executor = typeof o.executor === 'function' ? await o.executor(ctx) : (o.executor ?? localExecutor(rt));
    const trials = new Trials(o, executor, started, signal);
    let probes: UnitSensitivity[] | undefined;
    try {
      if (o.config.steps.length === 0) probes = await autoSearch(o, rt, trials);
      else await writtenSearch(o, rt, trials);
    } catch (e) {
      // The deadline stops the trial in flight; what finished stands.
      if (!(timer.signal.aborted && !o.signal?.aborted && isShrinkmlError(e) && e.code === 'INTERRUPTED')) throw e;
      trials.stop = `timeout (${Math.round(o.timeoutSeconds)} s) reached during a trial; it was stopped`;
    }
    if (timer.signal.aborted && !trials.stop) trials.stop = `timeout (${Math.round(o.timeoutSeconds)} s) reached`;
    const best = trials.best;
    if (!best) throw new ShrinkmlError('BUDGET', `no trial finished (max-trials ${o.maxTrials}, timeout ${o.timeoutSeconds} s)`, { subject: '--timeout', suggestion: 'raise --timeout or --max-trials' });
    rt.signal = o.signal;
    const run = executor.take?.(best.id) ?? await buildCandidate(rt, { config: best.config, levels: best.levels, quick: best.fineTuned === false });
    return {
      trials: trials.all, sensitivity: o.journal.data.sensitivity, probes, chosen: trials.chosen, closest: best,
      pareto: trialFront(trials.all), run, stopReason: trials.stop || (trials.chosen ? 'budget met' : 'no candidate left to try'),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    clearTimeout(clock);
    await executor?.close();
    await rt.close();
  }
}

/**
 * Bisection along a path whose index orders candidates from smallest to largest: a pass moves down (smaller), a
 * quality miss up, a cost miss down. `first` is tried first (default: the geometric middle of the predicted
 * distortion). Returns the smallest passing index found and the smallest index whose cost failed.
 */
async function bisect(
  trials: Trials, path: PathPoint[], candidate: (i: number) => Candidate, range: { lo: number; hi: number; first?: number },
  seen?: { at: number; trial: TrialRecord }[],
): Promise<{ pass?: number; costCap?: number }> {
  let { lo, hi } = range;
  let next = range.first;
  let pass: number | undefined;
  let costCap: number | undefined;
  while (lo <= hi && !trials.stop) {
    const i = next ?? middle(path, lo, hi);
    next = undefined;
    const [t] = await trials.run([candidate(i)]);
    if (!t) break;
    seen?.push({ at: i, trial: t });
    if (t.pass) { pass = i; hi = i - 1; continue; }
    const f = failing(t.budget);
    if (f.cost.length && !f.quality.length) { costCap = Math.min(costCap ?? i, i); hi = i - 1; continue; }
    if (f.quality.length && !f.cost.length) { lo = i + 1; continue; }
    // Both kinds fail: nothing on this path meets the budget near here.
    break;
  }
  return { pass, costCap };
}

/** The index in [lo, hi] whose predicted distortion is nearest the geometric mean of the ends'. */
function middle(path: PathPoint[], lo: number, hi: number): number {
  if (hi - lo < 2) return lo;
  const log = (i: number) => Math.log(Math.max(path[i]!.distortion, 1e-12));
  const target = (log(lo) + log(hi)) / 2;
  let best = lo + 1;
  for (let i = lo + 1; i < hi; i++) if (Math.abs(log(i) - target) < Math.abs(log(best) - target)) best = i;
  return best;
}

function describe(table: UnitTable[], point: PathPoint): string {
  return table.map((t, u) => {
    const c = t.choices[point.picks[u]!]!;
    return `${t.unit.name} ${c.sparsity ? `${+(100 * c.sparsity).toFixed(1)}%` : 'dense'}${c.clusters ? `/${c.clusters}` : ''}`;
  }).join(', ');
}

/**
 * Ids of the trials on the Pareto front of gzip size (smaller), validation quality (accuracy, or top-1 agreement
 * where the data has no labels; higher) and p50 (lower, where measured).
 */
export function trialFront(trials: readonly TrialRecord[]): number[] {
  return paretoFrontOf(trials, [
    (t) => t.metrics.gzipBytes, (t) => -(t.metrics.accuracy ?? t.metrics.agreement ?? -Infinity), (t) => t.metrics.p50Ms ?? 0,
  ]).map((t) => t.id);
}

/** The share of the timeout that probing every choice of every layer may take (else one probe per layer). */
const PROBE_SHARE = 0.1;

/** The search without a written pipeline (see searchBudget). */
async function autoSearch(o: SearchOptions, rt: TrialRuntime, trials: Trials): Promise<UnitSensitivity[]> {
  const space = searchSpace({ kind: o.source.kind, hasTrainData: o.data.available, hasCalibration: o.data.available });
  const objective = objectiveOf(o.budget);
  const base = { version: 1 as const, seed: o.config.seed, ...(o.config.data ? { data: o.config.data } : {}) };
  const estimates = new Map<string, TrialRecord | undefined>();
  const screen = async (list: Screen[]) => {
    const records = await trials.run(list.map((s) => ({ config: { ...base, steps: s.steps }, levels: {}, reason: `whole model: ${s.name}`, fineTune: space.trains ? false : undefined })));
    list.forEach((s, i) => estimates.set(s.name, records[i]));
  };
  const narrow = space.screens.filter((s) => s.steps.some((x) => x.step === 'prune'));
  // Latency-bound: static int8 and narrower networks are the levers. Storage formats and the allocation path
  // (sparsity, shared codes) only shrink the file, the model runs dense float32 after loading: a storage format is
  // the fallback when no lever passes, and the allocation path is not searched.
  if (objective === 'p50') {
    await screen(space.screens.filter((s) => s.latency));
    await trainedCandidates(trials, space.trained, estimates, base, objective);
    if (!trials.chosen && !trials.stop) await screen(space.screens.filter((s) => !s.latency));
    return [];
  }
  // Size-bound: the narrower networks are screened last, as the estimates of their trained forms, which rarely beat
  // pruning and shared codes on size. Static int8 is stored as int8 weights are and rounds activations too, so on
  // size it is only worth its calibration as the estimate of a trained candidate (QAT).
  const estimating = (s: Screen) => space.trained.some((t) => t.estimate === s.name);
  await screen(space.screens.filter((s) => !narrow.includes(s) && (!s.latency || estimating(s))));
  await asIsUnlessBeaten(o, trials, base);
  if (trials.stop) return [];
  const units = await searchUnits(o.source);
  if (!units.length) { trials.stop = 'no layer to allocate'; return []; }
  const tables = await unitTables(o.source, units, space);
  const samples = { ...rt.validation, count: Math.min(rt.validation.count, o.sensitivitySamples ?? 500) };
  const probes = await probeUnits({ source: o.source, tables, samples, inputs: o.inputs, signal: rt.signal, budgetSeconds: o.timeoutSeconds * PROBE_SHARE });
  const path = allocationPath(tables, probes.distortion);
  const candidate = (tune: FineTune | false) => (i: number): Candidate => ({
    // A one-shot candidate's config has no training in it, so its lineage reproduces what was built.
    config: allocationConfig({ kind: o.source.kind, seed: o.config.seed, data: o.config.data, trains: space.trains && tune, units: units.map((u) => u.name), picks: path[i]!.picks.map((c) => space.choices[c]!) }),
    levels: {}, fineTune: space.trains ? tune !== false : undefined,
    reason: `allocation ${i + 1}/${path.length}${!space.trains ? '' : tune === false ? ', one-shot' : tune === 'screen' ? ', screening fine-tune' : tune === 'long' ? ', long fine-tune' : ', fine-tuned'} (predicted distortion ${path[i]!.distortion.toExponential(2)}): ${describe(tables, path[i]!)}`,
  });
  const oneShot = await bisect(trials, path, candidate(space.trains ? false : 'full'), { lo: 0, hi: path.length - 1, first: 0 });
  if (space.trains && !trials.stop) {
    // Fine-tuning only helps quality and leaves size alone: only the part smaller than the best one-shot pass and
    // below any size miss is worth training. Short screening fine-tunes bisect it; the full fine-tune goes to the
    // smallest screened pass, then (screens under-train, so they err toward larger models) to the few points just
    // below it, where the full recipe may still pass.
    const hi = Math.min(oneShot.pass ?? path.length, oneShot.costCap ?? path.length) - 1;
    const screen = await bisect(trials, path, candidate('screen'), { lo: 0, hi });
    const full: { at: number; trial: TrialRecord }[] = [];
    if (!trials.stop) {
      const from = screen.pass ?? hi + 1;
      const first = from <= hi ? await bisect(trials, path, candidate('full'), { lo: from, hi: from }, full) : undefined;
      if (first && first.pass === undefined && first.costCap === undefined) await bisect(trials, path, candidate('full'), { lo: from + 1, hi }, full);
      else if (!trials.stop) await bisect(trials, path, candidate('full'), { lo: Math.max(0, from - FULL_BELOW_SCREEN), hi: Math.min(from, hi + 1) - 1 }, full);
    }
    // Time left: the smallest near miss of the full fine-tune (quality alone, within half the limit) gets a longer
    // one; if it still misses, the next larger near miss.
    const misses = full.filter(({ trial: t }) => !t.pass && !failing(t.budget).cost.length && t.shortfall <= NEAR_MISS &&
      (!trials.chosen || t.metrics.gzipBytes < trials.chosen.metrics.gzipBytes)).sort((a, b) => a.trial.metrics.gzipBytes - b.trial.metrics.gzipBytes);
    for (const { at } of misses) {
      if (trials.stop) break;
      const [t] = await trials.run([candidate('long')(at)]);
      if (t?.pass) break;
    }
  }
  if (!trials.stop) await screen(narrow);
  if (!trials.stop) await trainedCandidates(trials, space.trained, estimates, base, objective);
  return probes.rows;
}

/**
 * The input as it is (written back unchanged) is a candidate too: every storage screen can be larger than an input
 * that already ships compact weights (a converter's uint8 model is smaller than its float16 form), and the search
 * must never answer with a bigger file than it was given. Tried once, after the screens and before the trial budget
 * goes to the allocation path, only when no passing screen is smaller than the input's files.
 */
async function asIsUnlessBeaten(o: SearchOptions, trials: Trials, base: Omit<PipelineConfig, 'steps'>): Promise<void> {
  if (trials.stop) return;
  const input = (await measureSize({ loaded: o.source })).gzipBytes;
  if (trials.all.some((t) => t.pass && t.metrics.gzipBytes < input)) return;
  await trials.run([{ config: { ...base, steps: [] }, levels: {}, reason: 'the input as it is (no passing screen is smaller)' }]);
}

/** How many path points below the smallest screened pass the full fine-tune may still try. */
const FULL_BELOW_SCREEN = 6;

/** A near miss: failed criteria add up to at most this relative miss (score.ts shortfall; 0.5: a drop bound ≤ 1.5× the limit). */
const NEAR_MISS = 0.5;

/**
 * The trained whole-model candidates (QAT, fine-tuned and distilled narrower networks), cheapest estimated cost
 * first. Training buys quality, not cost, so a candidate is trained only when its one-shot estimate failed on
 * quality alone and its cost beats the best passing candidate so far on the search's objective.
 */
async function trainedCandidates(
  trials: Trials, candidates: TrainedCandidate[], estimates: Map<string, TrialRecord | undefined>, base: Omit<PipelineConfig, 'steps'>, objective: 'gzip' | 'p50',
): Promise<void> {
  const ranked = candidates.map((c) => ({ c, est: estimates.get(c.estimate) }))
    .filter((x): x is { c: TrainedCandidate; est: TrialRecord } => !!x.est && !x.est.pass && !failing(x.est.budget).cost.length)
    .sort((a, b) => objectiveValue(a.est, objective) - objectiveValue(b.est, objective));
  for (const { c, est } of ranked) {
    if (trials.stop) return;
    const best = trials.chosen;
    if (best && objectiveValue(est, objective) >= objectiveValue(best, objective)) continue;
    await trials.run([{ config: { ...base, steps: c.steps }, levels: {}, reason: `whole model: ${c.name} (one-shot estimate: ${c.estimate}, ${describeCost(est, objective)})` }]);
  }
}

function describeCost(t: TrialRecord, objective: 'gzip' | 'p50'): string {
  return objective === 'p50' ? `p50 ${t.metrics.p50Ms?.toFixed(3) ?? '?'} ms` : `gzip ${t.metrics.gzipBytes} B`;
}

/** The search from a written pipeline (tfjs Layers): its per-layer fallback levels as the path (see searchBudget). */
async function writtenSearch(o: SearchOptions, rt: TrialRuntime, trials: Trials): Promise<void> {
  const written: Candidate = { config: o.config, levels: {}, reason: 'most aggressive candidate (the pipeline as written)' };
  if (o.source.kind !== 'layers') {
    await trials.run([written]);
    return;
  }
  const source = o.source;
  const layers = layersModelTargets(source.model).map((t) => t.layer).filter((l, i, all) => all.indexOf(l) === i);
  const [first] = await trials.run([written]);
  if (!first || first.pass || trials.stop) return;
  if (failing(first.budget).cost.length) { trials.stop = `${failing(first.budget).cost.map((c) => c.criterion).join(', ')} failed; relaxing layers only makes the model larger or slower`; return; }
  const journal = o.journal.data;
  const samples = { ...rt.validation, count: Math.min(rt.validation.count, o.sensitivitySamples ?? 1000) };
  const params = new Map<string, number>();
  for (const t of layersModelTargets(source.model)) params.set(t.layer, (params.get(t.layer) ?? 0) + t.shape.reduce((a, b) => a * b, 1));
  const tables: UnitTable[] = [];
  for (const layer of layers) {
    const error: number[] = [];
    for (let level = 0; level < MAX_LEVEL; level++) {
      let row = journal.sensitivity.find((r) => r.layer === layer && r.level === level);
      if (!row) {
        row = await probeSensitivity({ source: source.model, config: o.config, data: o.data, layers, layer, level, samples, signal: rt.signal });
        journal.sensitivity.push(row);
        await o.journal.save();
      }
      error.push(row.meanKl);
    }
    error.push(0);
    // Each level keeps about twice what the one below keeps; untouched is float32 and dense.
    const bits = error.map((_, level) => params.get(layer)! * 2 ** (level === MAX_LEVEL ? MAX_LEVEL + 2 : level));
    tables.push({ unit: { name: layer, weights: [], params: params.get(layer)! }, choices: [], error, bits });
  }
  // Probe distortions are measured, not modelled: scale 1.
  const path = allocationPath(tables, tables.map((t) => t.error)).filter((p) => p.picks.some((l) => l > 0));
  if (!path.length) return;
  const levelsOf = (p: PathPoint): LayerLevels => Object.fromEntries(layers.map((l, u) => [l, p.picks[u]!]).filter(([, v]) => (v as number) > 0));
  await bisect(trials, path, (i) => ({
    config: o.config, levels: levelsOf(path[i]!),
    reason: `relax ${Object.entries(levelsOf(path[i]!)).map(([l, v]) => `${l} to level ${v}/${MAX_LEVEL}`).join(', ')} (point ${i + 1}/${path.length} of the sensitivity-ordered allocation, predicted mean KL ${path[i]!.distortion.toExponential(2)})`,
  }), { lo: 0, hi: path.length - 1 });
}
