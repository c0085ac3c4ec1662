import { ShrinkmlError } from '../../core/errors.js';
import type { InputOptions } from '../../data/feeds.js';
import type { LatencyOptions } from '../../measure/index.js';
import type { PipelineConfig } from '../config.js';
import type { PipelineDataOptions } from '../data.js';
import type { LayerLevels } from '../steps/types.js';
import { better } from './score.js';
import { buildTrial, disposeCandidate, type CandidateRun, type TrialRuntime } from './trial.js';
import type { TrialRecord } from './types.js';

/**
 * One candidate to build and measure: plain JSON, so it can travel to another process (a queue worker) and come
 * back as a TrialRecord with the same id. Same spec and context seed → same record and weights hash.
 */
export interface TrialSpec {
  /** Unique within the search; results are matched (and retried duplicates dropped) by it. */
  id: number;
  /** The full pipeline of the candidate (the search writes per-layer choices into step options). */
  config: PipelineConfig;
  /** Per-layer fallback levels of a written pipeline ({} when the config carries every choice). */
  levels: LayerLevels;
  /** Why this candidate, for people (log lines, report). */
  reason: string;
  /** false: one-shot, no training anywhere (a cheap screening trial); default: the steps as configured. */
  fineTune?: boolean;
  /** Trials the search may run at most, for progress displays ("trial 3/8"). */
  of?: number;
}

/**
 * What a separate process needs to run trials of one search, as JSON: the model and data by path, the budget as
 * text, how to judge and feed. The worker opens a TrialRuntime from it (openTrialRuntime) once per search.
 */
export interface SearchJobContext {
  /** Unique per search run (jobs of different searches never mix). */
  searchId: string;
  /** The input model file or folder, as loadModel takes it (absolute). */
  modelPath: string;
  data?: PipelineDataOptions;
  /** Trials are always judged on the validation split; the test split is for the chosen model only. */
  split: 'validation';
  /** The budget as budgetToString writes it. */
  budget: string;
  /** The tfjs backend the searcher used ('onnxruntime-node' for ONNX); a worker uses the same for identical weights. */
  backend: string;
  inputs?: InputOptions;
  batchSize?: number;
  /** z of a drop limit's paired margin (0: the raw drop). */
  accuracyMargin: number;
  /** Latency for budgets with p50/p95; false when latency must not be measured. */
  latency?: false | Omit<LatencyOptions, 'model' | 'onProgress'>;
  /** The pipeline seed of the search (each spec's config carries its own too). */
  seed: number;
}

/**
 * Runs batches of trials. The searcher decides the next batch only after a whole batch has returned, so a local
 * and a remote executor give the same trials in the same order.
 */
export interface TrialExecutor {
  /** Records in spec order (one per spec, matched by id). */
  runBatch(specs: TrialSpec[], signal?: AbortSignal): Promise<TrialRecord[]>;
  /**
   * The built model of trial `id` if this executor kept it in memory (the local one keeps the best trial so far),
   * handed over to the caller; otherwise undefined and the searcher rebuilds it.
   */
  take?(id: number): CandidateRun | undefined;
  close(): Promise<void>;
}

/**
 * Runs every trial in this process, one after another, on an open runtime (which it does not close). It keeps the
 * best trial's model (see score.ts `better`), so the searcher need not build its choice twice.
 */
export function localExecutor(rt: TrialRuntime): TrialExecutor {
  let kept: { trial: TrialRecord; run: CandidateRun } | undefined;
  return {
    async runBatch(specs, signal) {
      const out: TrialRecord[] = [];
      for (const spec of specs) {
        if (signal?.aborted || rt.signal?.aborted) throw new ShrinkmlError('INTERRUPTED', 'budget search interrupted');
        const built = await buildTrial(rt, spec);
        if (better(built.trial, kept?.trial)) {
          if (kept) disposeCandidate(kept.run);
          kept = built;
        } else {
          disposeCandidate(built.run);
        }
        out.push(built.trial);
      }
      return out;
    },
    take(id) {
      if (kept?.trial.id !== id) return undefined;
      const run = kept.run;
      kept = undefined;
      return run;
    },
    close: async () => {
      if (kept) disposeCandidate(kept.run);
      kept = undefined;
    },
  };
}
