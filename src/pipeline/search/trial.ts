import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProgressFn, WarnFn } from '../../core/progress.js';
import type { Dataset } from '../../data/types.js';
import { tempFolders } from '../../formats/cleanup.js';
import { disposeLoaded, formatOf, loadModel } from '../../formats/index.js';
import { forgetLoadedSource } from '../../formats/protect.js';
import type { LoadedModel } from '../../formats/types.js';
import { hasLatencyCriterion, measureModel, toBudget, type Budget, type BudgetCheck, type Measurement } from '../../measure/index.js';
import { DataProvider } from '../data.js';
import { hashWeights } from '../lineage.js';
import { measureWritten, summarize } from '../measure.js';
import { writeModel } from '../output.js';
import { disposeModel, runAdapterPipeline, runPipeline, type AdapterPipelineRun, type PipelineRun } from '../run.js';
import { adapterCorrectness, perSampleCorrectness, writtenCorrectness } from './correctness.js';
import type { SearchJobContext, TrialSpec } from './executor.js';
import { applyAccuracyMargin, hasDropLimit, pairCounts, type AccuracyMargin } from './margin.js';
import { shortfall } from './score.js';
import type { TrialRecord } from './types.js';

/**
 * Everything one process needs to build and judge trials of one search: the input model, the data (validation
 * split loaded once), the budget, and the input model's own per-sample correctness for the paired drop margin.
 */
export interface TrialRuntime {
  readonly ctx: SearchJobContext;
  readonly source: LoadedModel;
  readonly data: DataProvider;
  readonly validation: Dataset;
  readonly budget: Budget;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
  signal?: AbortSignal;
  /** The input model's per-sample correctness on validation (computed once, for the paired margin). */
  original?: Promise<Uint8Array>;
  /** Frees what openTrialRuntime loaded (nothing it was handed). */
  close(): Promise<void>;
}

/** A built candidate: the model in memory (any format), what its steps did, and its pipeline run record. */
export type CandidateRun = (PipelineRun & { kind: 'layers' }) | (AdapterPipelineRun & { kind: 'adapter' });

export interface OpenTrialRuntimeOptions {
  /** In-process objects to use instead of loading `ctx.modelPath` / `ctx.data` again (the local executor). */
  source?: LoadedModel;
  data?: DataProvider;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
  signal?: AbortSignal;
}

/**
 * Opens the runtime for `ctx`: loads the model and data from their paths (what a worker process calls), or uses
 * the objects handed in. The tfjs backend is the caller's to set (a worker sets `ctx.backend` first).
 */
export async function openTrialRuntime(ctx: SearchJobContext, o: OpenTrialRuntimeOptions = {}): Promise<TrialRuntime> {
  const source = o.source ?? await loadModel(ctx.modelPath);
  try {
    const data = o.data ?? new DataProvider(ctx.data);
    const validation = await data.get('validation', 'the budget search');
    return {
      ctx, source, data, validation, budget: toBudget(ctx.budget), onProgress: o.onProgress, onWarn: o.onWarn, signal: o.signal,
      close: async () => { if (!o.source) disposeLoaded(source); },
    };
  } catch (e) {
    if (!o.source) disposeLoaded(source);
    throw e;
  }
}

/** Runs the spec's pipeline on the input model (any format); the caller disposes the result (disposeCandidate). */
export async function buildCandidate(rt: TrialRuntime, spec: Pick<TrialSpec, 'config' | 'levels'> & { quick?: boolean }): Promise<CandidateRun> {
  const common = { config: spec.config, data: rt.data, levels: spec.levels, quick: spec.quick, onProgress: rt.onProgress, onWarn: rt.onWarn, signal: rt.signal };
  if (rt.source.kind === 'layers') return { kind: 'layers', ...(await runPipeline({ model: rt.source.model, ...common })) };
  return { kind: 'adapter', ...(await runAdapterPipeline({ model: rt.source, inputs: rt.ctx.inputs, ...common })) };
}

export function disposeCandidate(run: CandidateRun): void {
  if (run.kind === 'layers') disposeModel(run.model);
  else formatOf(run.model).dispose(run.model as never);
}

/** `sha256:` over the candidate's weights as the pipeline produced them (what "same seed, same weights" compares). */
export function candidateHash(run: CandidateRun): Promise<string> {
  return run.kind === 'layers' ? hashWeights(run.model) : formatOf(run.model).hash(run.model as never);
}

/**
 * Builds, writes (to a temporary folder), reads back and measures one candidate on the validation split, judging
 * a drop limit with its paired margin. Deterministic: the same spec and seed give the same record and weights hash.
 */
export async function executeTrial(rt: TrialRuntime, spec: TrialSpec): Promise<TrialRecord> {
  const { trial, run } = await buildTrial(rt, spec);
  disposeCandidate(run);
  return trial;
}

/** executeTrial, keeping the candidate in memory (the caller disposes it). */
export async function buildTrial(rt: TrialRuntime, spec: TrialSpec): Promise<{ trial: TrialRecord; run: CandidateRun }> {
  const started = Date.now();
  // Labels the progress of the steps below with the trial they belong to (the CLI's bar shows "trial 3/8 · train").
  rt.onProgress?.({ phase: 'trial', done: spec.id + 1, total: spec.of ?? spec.id + 1, message: spec.reason });
  const run = await buildCandidate(rt, { ...spec, quick: spec.fineTune === false ? true : undefined });
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'shrinkml-trial-'));
  const untrack = tempFolders.track(dir);
  try {
    const weightsHash = await candidateHash(run);
    const { m, check, margin } = await measureCandidate(rt, run, dir);
    return {
      run,
      trial: {
        id: spec.id, config: spec.config, levels: spec.levels, reason: spec.reason, metrics: summarize(m), budget: check, pass: check.pass,
        ...(margin ? { accuracyMargin: margin } : {}),
        shortfall: shortfall(check), split: 'validation', seconds: (Date.now() - started) / 1000,
        steps: run.steps.map((s) => ({ step: s.step, seconds: s.seconds, summary: s.summary })),
        weightsHash, ...(spec.fineTune === false ? { fineTuned: false } : {}),
      },
    };
  } catch (e) {
    disposeCandidate(run);
    throw e;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
    untrack();
  }
}

function latencyFor(rt: TrialRuntime) {
  const needs = hasLatencyCriterion(rt.budget);
  return needs && rt.ctx.latency !== false ? (rt.ctx.latency ?? {}) : false;
}

/** The candidate as written and read back, measured against the input on validation, with its drop margin. */
async function measureCandidate(rt: TrialRuntime, run: CandidateRun, dir: string): Promise<{ m: Measurement; check: BudgetCheck; margin?: AccuracyMargin }> {
  const z = rt.ctx.accuracyMargin;
  const paired = hasDropLimit(rt.budget) && !!rt.validation.labels;
  if (run.kind === 'layers') {
    const saved = await writeModel({ model: run.model, plan: run.output, out: path.join(dir, 'model') });
    const m = await measureWritten({
      modelJsonPath: saved.modelJsonPath, reference: rt.source as Extract<LoadedModel, { kind: 'layers' }>, data: rt.validation,
      batchSize: rt.ctx.batchSize, budget: rt.budget, latency: latencyFor(rt),
    });
    if (!paired) return { m, check: m.budget! };
    rt.original ??= perSampleCorrectness({ model: (rt.source as Extract<LoadedModel, { kind: 'layers' }>).model, data: rt.validation, batchSize: rt.ctx.batchSize });
    const candidate = await writtenCorrectness({ modelJsonPath: saved.modelJsonPath, data: rt.validation, batchSize: rt.ctx.batchSize });
    return { m, ...applyAccuracyMargin(m.budget!, pairCounts(await rt.original, candidate), z) };
  }
  const adapter = formatOf(run.model);
  const file = path.join(dir, rt.source.kind === 'onnx' ? 'model.onnx' : 'model');
  await adapter.write(run.model as never, file);
  const written = await loadModel(file, { allowNonFinite: true });
  try {
    const m = await measureModel({
      loaded: written, reference: rt.source, dataset: rt.validation, batchSize: rt.ctx.batchSize, inputs: rt.ctx.inputs,
      budget: rt.budget, latency: latencyFor(rt),
    });
    if (!paired) return { m, check: m.budget! };
    rt.original ??= adapterCorrectness({ loaded: rt.source, data: rt.validation, inputs: rt.ctx.inputs, batchSize: rt.ctx.batchSize });
    const candidate = await adapterCorrectness({ loaded: written, data: rt.validation, inputs: rt.ctx.inputs, batchSize: rt.ctx.batchSize });
    return { m, ...applyAccuracyMargin(m.budget!, pairCounts(await rt.original, candidate), z) };
  } finally {
    formatOf(written).dispose(written as never);
    forgetLoadedSource([written.descriptorPath, ...written.weightFiles]);
  }
}
