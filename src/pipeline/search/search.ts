import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import type { ProgressFn, WarnFn } from '../../core/progress.js';
import { tempFolders } from '../../formats/cleanup.js';
import type { LoadedLayersModel } from '../../formats/types.js';
import type { Budget, BudgetCheck, LatencyOptions } from '../../measure/index.js';
import type { Dataset } from '../../data/types.js';
import { layersModelTargets } from '../../prune/targets.js';
import type { PipelineConfig } from '../config.js';
import type { DataProvider } from '../data.js';
import { measureWritten, summarize } from '../measure.js';
import { writeModel } from '../output.js';
import { runPipeline, type PipelineRun } from '../run.js';
import { MAX_LEVEL, type LayerLevels } from '../steps/types.js';
import { perSampleCorrectness, writtenCorrectness } from './correctness.js';
import type { Journal } from './journal.js';
import { applyAccuracyMargin, DEFAULT_ACCURACY_MARGIN, hasDropLimit, pairCounts, type AccuracyMargin } from './margin.js';
import { failing, shortfall } from './score.js';
import { probeSensitivity, type SensitivityRow } from './sensitivity.js';
import type { TrialRecord } from './types.js';

export interface SearchOptions {
  /** The input model: the starting point of every trial and the reference for drop/agreement. */
  source: LoadedLayersModel;
  /** The most aggressive candidate: the pipeline as written, every layer at level 0. */
  config: PipelineConfig;
  budget: Budget;
  data: DataProvider;
  journal: Journal;
  /** Bounds; the search also stops before a trial it expects to overrun the timeout. */
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
  /** Each trial as it finishes (for a log line). */
  onTrial?: (trial: TrialRecord, resumed: boolean) => void;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
  signal?: AbortSignal;
}

export interface SearchResult {
  trials: TrialRecord[];
  sensitivity: SensitivityRow[];
  /** The passing candidate (the most compressed that met the budget on the validation split), if any. */
  chosen?: TrialRecord;
  /** The candidate nearest the budget (the chosen one when one passed). */
  closest: TrialRecord;
  /** The closest candidate's model, in memory (rebuilt when it was a resumed trial); the caller disposes it. */
  run: PipelineRun;
  stopReason: string;
  seconds: number;
}

const levelsKey = (levels: LayerLevels, layers: string[]) => layers.map((l) => levels[l] ?? 0).join(',');

/** Passing first, then the smallest shortfall, then the smallest gzip size. */
function better(a: TrialRecord, b: TrialRecord | undefined): boolean {
  if (!b) return true;
  if (a.pass !== b.pass) return a.pass;
  if (a.shortfall !== b.shortfall) return a.shortfall < b.shortfall;
  return a.metrics.gzipBytes < b.metrics.gzipBytes;
}

/**
 * Accuracy-aware search against the whole budget. Starts from the most aggressive candidate; while quality
 * criteria fail, relaxes the layer whose compression alone hurts the output most (sensitivity, probed without
 * training) by one level — half the pruning, twice the centroids, then float — and tries again. Cost criteria
 * (size, gzip, latency) only get worse with relaxing, so a cost failure ends the search. A drop limit must hold
 * with a margin for the validation sample's noise (drop + z·SE, see margin.ts), or the search would keep a candidate
 * that was merely lucky on validation. Deterministic, so a resumed search replays recorded trials and continues
 * where it stopped.
 */
export async function searchBudget(o: SearchOptions): Promise<SearchResult> {
  const started = Date.now();
  const layers = layersModelTargets(o.source.model).map((t) => t.layer).filter((l, i, all) => all.indexOf(l) === i);
  const validation = await o.data.get('validation', 'the budget search');
  const journal = o.journal.data;
  const paired = pairedJudge(o, validation);
  let levels: LayerLevels = {};
  let reason = 'most aggressive candidate (the pipeline as written)';
  let best: TrialRecord | undefined;
  let bestRun: PipelineRun | undefined;
  let chosen: TrialRecord | undefined;
  let stopReason = '';
  const trials: TrialRecord[] = [];
  const durations: number[] = [];
  try {
    for (;;) {
      if (o.signal?.aborted) throw new ShrinkmlError('INTERRUPTED', 'budget search interrupted');
      const key = levelsKey(levels, layers);
      let trial = journal.trials.find((t) => levelsKey(t.levels, layers) === key);
      const resumed = !!trial;
      if (!trial) {
        if (trials.length >= o.maxTrials) { stopReason = `max-trials (${o.maxTrials}) reached`; break; }
        const elapsed = (Date.now() - started) / 1000;
        const expected = durations.length ? Math.max(...durations) : 0;
        if (trials.length > 0 && elapsed + expected > o.timeoutSeconds) {
          stopReason = `timeout (${o.timeoutSeconds} s) reached: the next trial would not finish in time`;
          break;
        }
        const t0 = Date.now();
        const result = await runTrial(o, { id: journal.trials.length, levels: { ...levels }, reason, validation, paired });
        trial = result.trial;
        durations.push((Date.now() - t0) / 1000);
        journal.trials.push(trial);
        await o.journal.save();
        if (better(trial, best)) {
          bestRun?.model.dispose();
          bestRun = result.run;
        } else {
          result.run.model.dispose();
        }
      } else if (better(trial, best)) {
        bestRun?.model.dispose();
        bestRun = undefined; // rebuilt at the end if it stays the best
      }
      trials.push(trial);
      o.onTrial?.(trial, resumed);
      if (better(trial, best)) best = trial;
      if (trial.pass) { chosen = trial; stopReason = 'budget met'; break; }
      const fails = failing(trial.budget);
      if (fails.cost.length) {
        stopReason = `${fails.cost.map((c) => c.criterion).join(', ')} failed; relaxing layers only makes the model larger or slower`;
        break;
      }
      const next = await pickRelaxation(o, layers, levels, validation);
      if (!next) { stopReason = 'every layer is already left uncompressed'; break; }
      levels = { ...levels, [next.layer]: next.level };
      reason = `relax ${next.layer} to level ${next.level}/${MAX_LEVEL}: most sensitive (mean KL ${next.meanKl.toExponential(2)} when compressed alone)`;
    }
    if (!best) throw new ShrinkmlError('BUDGET', `no trial could run (max-trials ${o.maxTrials})`, { subject: '--max-trials' });
    // The best candidate came from an earlier (resumed) session: rebuild it; same seed → same weights.
    const run = bestRun ?? await runPipeline({
      model: o.source.model, config: o.config, data: o.data, levels: best.levels, onProgress: o.onProgress, onWarn: o.onWarn, signal: o.signal,
    });
    bestRun = undefined;
    return { trials, sensitivity: journal.sensitivity, chosen, closest: best, run, stopReason, seconds: (Date.now() - started) / 1000 };
  } finally {
    bestRun?.model.dispose();
  }
}

/** Judges a written candidate's drop with its margin; the input model's predictions are computed once per search. */
type PairedJudge = (check: BudgetCheck, modelJsonPath: string) => Promise<{ check: BudgetCheck; margin?: AccuracyMargin }>;

function pairedJudge(o: SearchOptions, validation: Dataset): PairedJudge | undefined {
  if (!hasDropLimit(o.budget) || !validation.labels) return undefined;
  const z = o.accuracyMargin ?? DEFAULT_ACCURACY_MARGIN;
  let original: Promise<Uint8Array> | undefined;
  return async (check, modelJsonPath) => {
    original ??= perSampleCorrectness({ model: o.source.model, data: validation, batchSize: o.batchSize });
    const candidate = await writtenCorrectness({ modelJsonPath, data: validation, batchSize: o.batchSize });
    return applyAccuracyMargin(check, pairCounts(await original, candidate), z);
  };
}

async function runTrial(
  o: SearchOptions, t: { id: number; levels: LayerLevels; reason: string; validation: Dataset; paired?: PairedJudge },
): Promise<{ trial: TrialRecord; run: PipelineRun }> {
  const started = Date.now();
  // Labels the progress of the steps below with the trial they belong to (the CLI's bar shows "trial 3/8 · train").
  o.onProgress?.({ phase: 'trial', done: t.id + 1, total: o.maxTrials, message: t.reason });
  const run = await runPipeline({
    model: o.source.model, config: o.config, data: o.data, levels: t.levels, onProgress: o.onProgress, onWarn: o.onWarn, signal: o.signal,
  });
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'shrinkml-trial-'));
  const untrack = tempFolders.track(dir);
  try {
    const saved = await writeModel({ model: run.model, plan: run.output, out: path.join(dir, 'model') });
    const needsLatency = o.budget.criteria.some((c) => c.metric === 'p50' || c.metric === 'p95');
    const m = await measureWritten({
      modelJsonPath: saved.modelJsonPath, reference: o.source, data: t.validation, batchSize: o.batchSize, budget: o.budget,
      latency: needsLatency ? (o.latency ?? {}) : false,
    });
    const { check, margin } = t.paired ? await t.paired(m.budget!, saved.modelJsonPath) : { check: m.budget!, margin: undefined };
    return {
      run,
      trial: {
        id: t.id, config: o.config, levels: t.levels, reason: t.reason, metrics: summarize(m), budget: check, pass: check.pass,
        ...(margin ? { accuracyMargin: margin } : {}),
        shortfall: shortfall(check), split: 'validation', seconds: (Date.now() - started) / 1000,
        steps: run.steps.map((s) => ({ step: s.step, seconds: s.seconds, summary: s.summary })),
      },
    };
  } catch (e) {
    run.model.dispose();
    throw e;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
    untrack();
  }
}

/** The layer to relax next: the one whose compression alone (at its current level) moves the output most. */
async function pickRelaxation(o: SearchOptions, layers: string[], levels: LayerLevels, validation: Dataset): Promise<SensitivityRow | undefined> {
  const journal = o.journal.data;
  const samples = { ...validation, count: Math.min(validation.count, o.sensitivitySamples ?? 1000) };
  let pick: SensitivityRow | undefined;
  for (const layer of layers) {
    const level = levels[layer] ?? 0;
    if (level >= MAX_LEVEL) continue;
    let row = journal.sensitivity.find((r) => r.layer === layer && r.level === level);
    if (!row) {
      row = await probeSensitivity({ source: o.source.model, config: o.config, data: o.data, layers, layer, level, samples, signal: o.signal });
      journal.sensitivity.push(row);
      await o.journal.save();
    }
    if (!pick || row.meanKl > pick.meanKl) pick = row;
  }
  return pick && { ...pick, level: pick.level + 1 };
}

