import * as tf from '@tensorflow/tfjs';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import type { ProgressFn, WarnFn } from '../../core/progress.js';
import type { InputOptions } from '../../data/feeds.js';
import type { LoadedLayersModel, LoadedModel } from '../../formats/types.js';
import { budgetToString, type Budget, type LatencyOptions } from '../../measure/index.js';
import type { Dataset } from '../../data/types.js';
import { layersModelTargets } from '../../prune/targets.js';
import type { PipelineConfig } from '../config.js';
import type { DataProvider } from '../data.js';
import type { PipelineRun } from '../run.js';
import { MAX_LEVEL, type LayerLevels } from '../steps/types.js';
import { localExecutor, type SearchJobContext, type TrialExecutor, type TrialSpec } from './executor.js';
import type { Journal } from './journal.js';
import { DEFAULT_ACCURACY_MARGIN } from './margin.js';
import { failing } from './score.js';
import { probeSensitivity, type SensitivityRow } from './sensitivity.js';
import { buildCandidate, openTrialRuntime } from './trial.js';
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
  /** How model inputs are fed (recorded in the job context for workers). */
  inputs?: InputOptions;
  /**
   * Where trials run: default this process. A factory gets the search's job context (what a worker needs, as JSON).
   * The chosen trial is rebuilt here from its config and seed either way.
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
  sensitivity: SensitivityRow[];
  /** The passing candidate (the most compressed that met the budget on the validation split), if any. */
  chosen?: TrialRecord;
  /** The candidate nearest the budget (the chosen one when one passed). */
  closest: TrialRecord;
  /** The closest candidate's model, rebuilt in this process from its config and seed; the caller disposes it. */
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

/** The JSON a worker needs to run this search's trials (see executor.ts). */
export function searchJobContext(o: Pick<SearchOptions, 'source' | 'config' | 'budget' | 'data' | 'latency' | 'accuracyMargin' | 'batchSize' | 'inputs'>): SearchJobContext {
  return {
    searchId: randomUUID(), modelPath: path.resolve(o.source.source), data: o.data.options, split: 'validation', budget: budgetToString(o.budget),
    backend: (o.source as LoadedModel).kind === 'onnx' ? 'onnxruntime-node' : tf.getBackend(), inputs: o.inputs, batchSize: o.batchSize,
    accuracyMargin: o.accuracyMargin ?? DEFAULT_ACCURACY_MARGIN, latency: o.latency ?? false, seed: o.config.seed,
  };
}

/**
 * Accuracy-aware search against the whole budget. Starts from the most aggressive candidate; while quality
 * criteria fail, relaxes the layer whose compression alone hurts the output most (sensitivity, probed without
 * training) by one level — the layer keeps twice the weights, gets twice the centroids, then stays float — and
 * tries again. Cost criteria (size, gzip, latency) only get worse with relaxing, so a cost failure ends the search.
 * A drop limit must hold with a margin for the validation sample's noise (drop + z·SE, see margin.ts), or the
 * search would keep a candidate that was merely lucky on validation. Deterministic, so a resumed search replays
 * recorded trials and continues where it stopped.
 */
export async function searchBudget(o: SearchOptions): Promise<SearchResult> {
  const started = Date.now();
  const layers = layersModelTargets(o.source.model).map((t) => t.layer).filter((l, i, all) => all.indexOf(l) === i);
  const ctx = searchJobContext(o);
  const rt = await openTrialRuntime(ctx, { source: o.source, data: o.data, onProgress: o.onProgress, onWarn: o.onWarn, signal: o.signal });
  const executor = typeof o.executor === 'function' ? await o.executor(ctx) : (o.executor ?? localExecutor(rt));
  const validation = rt.validation;
  const journal = o.journal.data;
  let levels: LayerLevels = {};
  let reason = 'most aggressive candidate (the pipeline as written)';
  let best: TrialRecord | undefined;
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
        const spec: TrialSpec = { id: journal.trials.length, config: o.config, levels: { ...levels }, reason, of: o.maxTrials };
        [trial] = await executor.runBatch([spec], o.signal);
        durations.push((Date.now() - t0) / 1000);
        journal.trials.push(trial!);
        await o.journal.save();
      }
      trials.push(trial!);
      o.onTrial?.(trial!, resumed);
      if (better(trial!, best)) best = trial;
      if (trial!.pass) { chosen = trial; stopReason = 'budget met'; break; }
      const fails = failing(trial!.budget);
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
    // Trials may have run elsewhere (or in an earlier session): the output is rebuilt here; same seed → same weights.
    const run = await buildCandidate(rt, { config: best.config, levels: best.levels });
    return { trials, sensitivity: journal.sensitivity, chosen, closest: best, run: run as PipelineRun, stopReason, seconds: (Date.now() - started) / 1000 };
  } finally {
    await executor.close();
    await rt.close();
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

