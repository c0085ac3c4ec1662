import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn, WarnFn } from '../core/progress.js';
import { VERSION } from '../core/version.js';
import { loadData } from '../data/index.js';
import type { DataFeed, Dataset, Split } from '../data/types.js';
import { resolveDataFeed, type DataRequest } from '../data/sources.js';
import { isShapeNeeded, planFeeds, type InputOptions } from '../data/feeds.js';
import { formatOf, loadModel } from '../formats/index.js';
import { forgetLoadedSource } from '../formats/protect.js';
import type { LoadedLayersModel, LoadedModel } from '../formats/types.js';
import { onnxPackageVersions } from '../onnx/lineage.js';
import { getStep, stepNeeds } from './steps/index.js';
import { budgetToString, checkBudget, findBudgetMetric, hasLatencyCriterion, formatValue, measureModel, measureSize, type Budget, type CriterionResult, type LatencyOptions, type Measurement } from '../measure/index.js';
import { layerRows, type CompressReport } from '../report/index.js';
import type { PipelineConfig } from './config.js';
import { DataProvider } from './data.js';
import { buildLineage, hashModelFiles, hashWeights, recordedDataSource, type Lineage } from './lineage.js';
import { measureWritten, summarize } from './measure.js';
import { ModelOutput } from './output.js';
import { layersModelTargets } from '../prune/targets.js';
import { checkSupported, disposeModel, runAdapterPipeline, runPipeline, type AdapterPipelineRun, type PipelineRun, type StepRecord } from './run.js';
import type { OutputPlan } from './steps/types.js';
import { Journal, journalPath } from './search/journal.js';
import { openQueueExecutor } from './search/queue/executor.js';
import { DEFAULT_ACCURACY_MARGIN, hasDropLimit } from './search/margin.js';
import { objectiveOf } from './search/score.js';
import { searchBudget, type SearchOptions, type SearchResult } from './search/search.js';
import type { TrialRecord } from './search/types.js';

/** Input model, pipeline config, data, budget and output for compressModel. */
export interface CompressOptions {
  /** The input model, any format with an adapter (tfjs Layers, ONNX; tfjs Graph where its adapter supports the steps). */
  input: LoadedModel;
  /** How model inputs are fed for calibration and measurement (`--input-shape`, `--input`, data inputs). */
  inputs?: InputOptions;
  config: PipelineConfig;
  /** A folder, or a .json path for a single model.json + .bin pair. */
  out: string;
  force?: boolean;
  /** Evaluation data: `split` (default test) is where the output is measured and the budget judged. */
  data?: { source: string; split?: Split; limit?: number; batchSize?: number; feed?: DataFeed; pixels?: DataRequest['pixels'] };
  budget?: Budget;
  /** Latency of input and output (false: none; a budget with p50/p95 turns it on). */
  latency?: false | Omit<LatencyOptions, 'model' | 'onProgress'>;
  /**
   * A BullMQ queue URL (`redis://host:port`): trials run on workers (`shrinkml worker`) instead of this process;
   * the chosen trial is rebuilt here. Default: local.
   */
  queue?: string;
  /**
   * Search limits (each overrides config.search); `timeoutSeconds` bounds the whole run from `startedAt`;
   * `accuracyMargin`: z of a drop limit's margin, 0 = the raw drop.
   */
  search?: { maxTrials: number; timeoutSeconds: number; accuracyMargin?: number; resume?: boolean };
  /** When the run started (ms since the epoch; default: when compressModel was called), for the timeout. */
  startedAt?: number;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
  /** One line per event worth a person's attention (trials, verdicts). */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  /**
   * Called as each phase starts (awaited): progress displays, and tests that interrupt a run at a chosen phase.
   * 'commit' comes after everything is staged, just before the output appears at `out`.
   */
  onPhase?: (phase: CompressPhase) => void | Promise<void>;
  /** The output, opened (locked, checked) by the caller before its own slow work; default: opened here. Committed or discarded here. */
  output?: ModelOutput;
  /** Record absolute paths of the input and data in lineage and report (default: relative to the output, with hashes). */
  absolutePaths?: boolean;
}

export type CompressPhase = 'pipeline' | 'write' | 'measure' | 'report' | 'commit';

/** What compressModel wrote and measured, with every budget-search trial. */
export interface CompressResult {
  report: CompressReport;
  measurement: Measurement;
  lineage: Lineage;
  modelJsonPath: string;
  reports: { json: string; md: string; html: string };
  /** 0, or 1 when a budget was given and not met. */
  exitCode: 0 | 1;
}

/**
 * Default search bounds: the whole compress run stops within 30 minutes (the timeout covers it all), which a
 * search without a written pipeline needs on two cores for the bundled MNIST models; 24 trials leave room for the
 * cheap one-shot trials and a handful of fine-tuned ones. A drop limit must hold by one standard error of the
 * paired accuracy difference (see search/margin.ts).
 */
export const SEARCH_DEFAULTS = { maxTrials: 24, timeoutSeconds: 1800, accuracyMargin: DEFAULT_ACCURACY_MARGIN } as const;

function describeMiss(c: CriterionResult): string {
  if (c.measured === null || c.margin === null) return `${c.criterion} ${c.reason ?? 'not measured'}`;
  const kind = findBudgetMetric(c.metric)?.kind ?? 'plain';
  return `${c.criterion} failed by ${formatValue(kind, -c.margin)} (measured ${formatValue(kind, c.measured)})`;
}

/**
 * A trial's failed criteria; a drop limit judged with a margin shows its numbers (the raw drop alone may be under
 * the limit).
 */
function describeTrialMisses(t: TrialRecord): string {
  return t.budget.criteria.filter((c) => !c.pass)
    .map((c) => (c.metric === 'drop' && t.accuracyMargin ? `${c.criterion} failed: ${t.accuracyMargin.verdict}` : describeMiss(c))).join('; ');
}

function verdictMessage(check: NonNullable<Measurement['budget']>, split: string, search: SearchResult | undefined, chosen: TrialRecord | undefined): string {
  const misses = check.criteria.filter((c) => !c.pass).map(describeMiss).join('; ');
  // The trial's drop as the search judged it on validation, so a validation/test gap is visible in one line.
  const onValidation = chosen?.accuracyMargin ? ` (on validation: ${chosen.accuracyMargin.verdict})` : '';
  if (check.pass && search && !search.chosen) {
    return `met on the ${split} split by trial ${chosen!.id}, the closest candidate, although no candidate met it on the validation split ` +
      `(validation and ${split} disagree; stopped: ${search.stopReason})${onValidation}`;
  }
  if (check.pass) return `met on the ${split} split${search ? ` by trial ${chosen!.id} of ${search.trials.length}${onValidation}` : ''}`;
  if (!search) return `not met on the ${split} split: ${misses}`;
  if (search.chosen) return `trial ${search.chosen.id} met the budget on the validation split${onValidation} but not on the ${split} split (validation and ${split} disagree): ${misses}`;
  return `no candidate met the budget in ${search.trials.length} trial${search.trials.length === 1 ? '' : 's'} (stopped: ${search.stopReason}); ` +
    `the output is the closest candidate, trial ${search.closest.id}: ${misses}${onValidation}`;
}

/**
 * `shrinkml compress` as a library call: run the pipeline (or, with a budget, search for the most compressed
 * candidate that meets it), write the model with its lineage, measure it against the input on the evaluation
 * split, and write report.json/md/html beside it. Never prints; never exits.
 */
export async function compressModel(o: CompressOptions): Promise<CompressResult> {
  o = { ...o, startedAt: o.startedAt ?? Date.now() };
  let checked: Checked;
  try {
    checkSupported(o.config, o.input.kind);
    checked = { ...o, ...(await preflight(o)) };
  } catch (e) {
    o.output?.discard();
    throw e;
  }
  if (checked.input.kind === 'layers') return compressWith(checked, (output) => layersCompression(checked as Checked & { input: LoadedLayersModel }, output));
  return compressWith(checked, (output) => adapterCompression(checked as Checked & { input: Exclude<LoadedModel, LoadedLayersModel> }, output));
}

type Checked = CompressOptions & { notes?: string[] };

/**
 * Inputs are planned before anything runs, so a flag naming a missing input or a dim that cannot be resolved fails
 * first, nothing written. A free or symbolic dim stops only what needs feeds (data, calibration, a latency budget):
 * weight-only steps go on, and latency is skipped with a note.
 */
async function preflight(o: CompressOptions): Promise<Partial<Checked>> {
  if (o.input.kind !== 'layers') {
    // The runtime's own checks (unknown ops, cycles, opsets it lacks) refuse a broken input before anything is
    // written, even when nothing else would run it (weight-only steps without data).
    const runner = await formatOf(o.input).runner(o.input);
    await runner.dispose();
  }
  // Data resolved against the model's inputs (image folders sized, one source per input): once, by the CLI or here.
  const resolved = o.data && !o.data.feed ? await resolveDataFeed({
    model: o.input.source, inputs: formatOf(o.input).inputs(o.input), feeding: o.inputs, request: { data: [o.data.source], pixels: o.data.pixels },
  }) : undefined;
  const fed = resolved ? { data: { ...o.data!, feed: resolved.feed ?? {} }, inputs: resolved.inputs } : {};
  try {
    const plan = await planFeeds(o.input.source, formatOf(o.input).inputs(o.input), fed.inputs ?? o.inputs);
    // Defaults matter only where the model is fed.
    return { ...fed, notes: [...resolved?.notes.map((n) => `Input ${n}.`) ?? [], ...o.data || o.latency ? plan.notes.map((n) => `Input ${n}.`) : []] };
  } catch (e) {
    if (!isShapeNeeded(e)) throw e;
    const latencyBudget = hasLatencyCriterion(o.budget);
    const feeds = !!o.data || latencyBudget || o.config.steps.some((s) => stepNeeds(getStep(s.step), o.input.kind, s.options) !== 'none');
    if (feeds) throw e;
    return { latency: false, notes: [`Latency not measured: ${(e as Error).message}.`] };
  }
}

/** The report's budget verdict: judged on the evaluation split, with what the search found on validation. */
function reportBudget(o: Checked, measurement: Measurement, split: string, search: SearchResult | undefined, chosen: TrialRecord | undefined): CompressReport['budget'] {
  if (!o.budget || !measurement.budget) return undefined;
  return {
    text: budgetToString(o.budget), check: measurement.budget, pass: measurement.budget.pass, closest: !!search && !search.chosen,
    message: verdictMessage(measurement.budget, split, search, chosen),
  };
}

/** Latency settings of the final measurement: on unless turned off, and always on for a budget that judges it. */
function evaluationLatency(o: Checked): false | Omit<LatencyOptions, 'model' | 'onProgress'> {
  return o.latency === false && !hasLatencyCriterion(o.budget) ? false : (o.latency || {});
}

/**
 * The lineage of a compress run, for every format: what was read, which steps ran with which seeds, and the pipeline
 * that made the output (the one the search wrote when there were no steps). The budget verdict is filled in after
 * the measurement.
 */
function runLineage(o: Checked, r: {
  output: ModelOutput; split: Split; provider: DataProvider; run: { steps: StepRecord[] }; pipeline: PipelineConfig;
  levels: Lineage['levels']; search: SearchResult | undefined; versions: { backend: string } & Record<string, string | undefined>; weightsHash: string;
}): Lineage {
  return buildLineage({
    loaded: o.input, out: r.output.dir, absolutePaths: o.absolutePaths,
    steps: r.run.steps.map((s) => ({ step: s.step, options: s.options })), seed: o.config.seed,
    data: o.data ? { source: recordedDataSource(o.data.source, r.output.dir, o.absolutePaths), split: r.split, splits: r.provider.describe()?.splits } : undefined,
    config: r.pipeline, levels: r.levels, seeds: { pipeline: o.config.seed, steps: r.run.steps.map((s) => s.seed) },
    versions: { shrinkml: VERSION, tfjs: tf.version.tfjs, node: process.versions.node, ...r.versions },
    weightsHash: r.weightsHash,
    budget: o.budget ? { text: budgetToString(o.budget), pass: false, closest: !!r.search && !r.search.chosen } : undefined,
  });
}

/**
 * What compress does differently per format. Everything else — the search, the lineage, the budget verdict, the
 * report and the one staged writer (ModelOutput: staged, measured there, committed together) — is compressWith's,
 * the same for every format.
 */
interface FormatCompression<R extends { steps: StepRecord[]; output: OutputPlan }> {
  /**
   * The budget search relaxes a written pipeline per layer (tfjs Layers); elsewhere a written pipeline is judged as
   * written, and only a budget without steps searches (over the weight-only steps the format supports).
   */
  relaxesWrittenPipeline: boolean;
  /** Runs the written pipeline (when the search did not make the model). */
  runSteps(provider: DataProvider): Promise<R>;
  /** The runtime the measurements come from, and its versions, for the lineage and the report. */
  backend: string;
  versions: Record<string, string | undefined>;
  hash(run: R): Promise<string>;
  /**
   * Writes the model into the output's staging area; returns the staged model file and weight files. A format
   * whose model file carries the lineage (`embedsLineage`) is staged again once the lineage holds the metrics.
   */
  stage(run: R, lineage: Lineage): Promise<{ staged: string; final: string; weightFiles: string[] }>;
  embedsLineage: boolean;
  /** The staged model read back and measured as a user would load it (the budget is judged by the caller). */
  measure(staged: string, evalData: Dataset | undefined, latency: ReturnType<typeof evaluationLatency>): Promise<Measurement>;
  /** Notes for a person: how to load the output, what a step could not do. */
  notes(run: R, measurement: Measurement): string[];
  dispose(run: R): void;
}

/** tfjs Layers: the steps train and relax per layer; int8 and clustered layers are written by ModelOutput.writeLayers. */
function layersCompression(o: Checked & { input: LoadedLayersModel }, output: () => ModelOutput): FormatCompression<PipelineRun> {
  return {
    relaxesWrittenPipeline: true,
    runSteps: (provider) => runPipeline({ model: o.input.model, config: o.config, data: provider, onProgress: o.onProgress, onWarn: o.onWarn, signal: o.signal }),
    backend: tf.getBackend(),
    versions: {},
    hash: (run) => hashWeights(run.model),
    stage: async (run) => {
      const saved = await output().writeLayers(run.model, run.output);
      return { staged: saved.modelJsonPath, final: output().finalPath(path.basename(saved.modelJsonPath)), weightFiles: saved.weightFiles ?? [] };
    },
    embedsLineage: false,
    measure: (staged, evalData, latency) => measureWritten({
      modelJsonPath: staged, reference: o.input, data: evalData, batchSize: o.data?.batchSize, latency, inputs: o.inputs, onProgress: o.onProgress,
    }),
    notes: (run) => [
      ...Object.keys(run.output.clusters).length
        ? ['Clustered weights are stored as codebook + index streams: load with shrinkml (loadClusteredLayers, or tf.loadLayersModel(withClusterDecoding(handler))); use cluster storage "uint8" for a stock-loadable file.']
        : [],
      ...run.output.shrinkml.format !== undefined ? ['int8 model: load it after importing shrinkml/runtime, which registers the int8 layers and kernels.'] : [],
    ],
    dispose: (run) => disposeModel(run.model),
  };
}

/** Every other format, over its FormatAdapter: the adapter runs the steps' weight edits, writes and reads back. */
function adapterCompression(o: Checked & { input: Exclude<LoadedModel, LoadedLayersModel> }, output: () => ModelOutput): FormatCompression<AdapterPipelineRun> {
  const adapter = formatOf(o.input);
  const name = () => output().modelFileName(o.input.kind === 'onnx' ? 'onnx' : 'tfjs');
  return {
    relaxesWrittenPipeline: false,
    runSteps: (provider) => runAdapterPipeline({
      model: o.input, config: o.config, data: provider, inputs: o.inputs, onProgress: o.onProgress, onWarn: o.onWarn, signal: o.signal,
    }),
    backend: o.input.kind === 'onnx' ? 'onnxruntime-node' : tf.getBackend(),
    versions: formatVersions(o.input.kind),
    hash: (run) => adapter.hash(run.model as never),
    // The model carries its lineage where the format can (ONNX metadata_props).
    stage: async (run, lineage) => {
      const saved = await adapter.write(run.model as never, output().finalPath(name()), { stage: output().stage, lineage, onProgress: o.onProgress });
      // The shards as staged (a writer reports its final paths, which exist only after the commit).
      return { staged: output().stagedPath(name()), final: output().finalPath(name()), weightFiles: saved.weightFiles.map((f) => output().stagedPath(path.basename(f))) };
    },
    embedsLineage: true,
    measure: async (staged, evalData, latency) => {
      const written = await loadModel(staged, { allowNonFinite: true });
      try {
        return await measureModel({
          loaded: written, reference: o.input, dataset: evalData, batchSize: o.data?.batchSize, inputs: o.inputs, latency, onProgress: o.onProgress,
        });
      } finally {
        formatOf(written).dispose(written);
        forgetLoadedSource([written.descriptorPath, ...written.weightFiles]);
      }
    },
    notes: (run, measurement) => [
      ...stepNotes(run),
      ...o.budget && o.config.steps.length ? [`The budget search relaxes tfjs layers; for ${o.input.kind} models the pipeline as written is judged.`] : [],
      ...o.input.kind === 'onnx' ? [`The lineage is in the model's metadata_props (shrinkml.lineage), which the sizes include, and in ${output().lineageName}.`] : [],
      ...measurement.latency?.note ? [`Latency: ${measurement.latency.note}.`] : [],
      ...measurement.streamed ? [`Fidelity: ${measurement.streamed.note}.`] : [],
    ],
    dispose: (run) => adapter.dispose(run.model as never),
  };
}

/**
 * compress for every format (see compressModel): run the steps or search, stage the model with its lineage, read
 * it back and measure it on the evaluation split against the input, judge the budget, write the records, commit.
 */
async function compressWith<R extends { steps: StepRecord[]; output: OutputPlan }>(
  o: Checked, makeFormat: (output: () => ModelOutput) => FormatCompression<R>,
): Promise<CompressResult> {
  const split = o.data?.split ?? 'test';
  // Lock and check the destination before any work: a second writer or an existing --out fails in a second.
  const output = o.output ?? await ModelOutput.open({ out: o.out, force: o.force, protect: [o.input.descriptorPath, ...o.input.weightFiles] });
  const format = makeFormat(() => output);
  let run: R | undefined;
  try {
    const provider = new DataProvider(o.data ? { source: o.data.source, ...o.config.data, feed: o.data.feed } : undefined);
    await o.onPhase?.('pipeline');
    const searched = wantsSearch(o) && (format.relaxesWrittenPipeline || o.config.steps.length === 0) ? await runSearch(o, provider) : undefined;
    const search = searched?.search;
    run = search ? (search.run as unknown as R) : await format.runSteps(provider);
    const chosen = search ? (search.chosen ?? search.closest) : undefined;
    const levels = chosen?.levels ?? {};
    // Without a written pipeline the search wrote one: the output's lineage records the pipeline that made it.
    const pipeline = chosen?.config ?? o.config;
    checkAborted(o.signal);
    await o.onPhase?.('write');
    const lineage = runLineage(o, { output, split, provider, run, pipeline, levels, search,
      versions: { backend: format.backend, ...format.versions }, weightsHash: await format.hash(run) });
    // The model itself says it is a best effort, so the mark travels with model.json wherever it is copied.
    if (search && !search.chosen && o.budget) {
      run.output.shrinkml.closestCandidate = { budget: budgetToString(o.budget), trial: search.closest.id, note: 'no candidate met the budget; see the report' };
    }
    let staged = await format.stage(run, lineage);
    checkAborted(o.signal);
    await o.onPhase?.('measure');
    const evalData = o.data ? await loadData({ source: o.data.source, split, limit: o.data.limit, holdOut: provider.holdOut, feed: o.data.feed }) : undefined;
    const latency = evaluationLatency(o);
    // Measured where it is staged: the same bytes the commit puts at --out.
    const measurement = await format.measure(staged.staged, evalData, latency);
    checkAborted(o.signal);
    const inputMeasurement = await measureModel({ loaded: o.input, latency, inputs: o.inputs });
    checkAborted(o.signal);
    await o.onPhase?.('report');
    // A model file that carries its lineage changes size when the metrics go in: the lineage leaves sizes out there.
    lineage.metrics = format.embedsLineage ? JSON.parse(JSON.stringify({ ...summarize(measurement), bytes: undefined, gzipBytes: undefined })) : { ...summarize(measurement) };
    if (evalData) lineage.data = { ...lineage.data!, samples: evalData.count };
    const judge = () => (o.budget ? checkBudget(o.budget, measurement) : undefined);
    measurement.budget = judge();
    if (lineage.budget) lineage.budget.pass = measurement.budget?.pass ?? true;
    if (format.embedsLineage) {
      // Staged again with the metrics in: sizes, and a size budget, are of the file as it will be at --out.
      staged = await format.stage(run, lineage);
      measurement.size = await measureSize({ loaded: { descriptorPath: staged.staged, weightFiles: staged.weightFiles } });
      measurement.budget = judge();
      const passNow = measurement.budget?.pass ?? true;
      if (lineage.budget && lineage.budget.pass !== passNow) {
        lineage.budget.pass = passNow;
        staged = await format.stage(run, lineage);
      }
    }
    const pass = measurement.budget?.pass ?? true;
    const notes = [...(o.notes ?? []), ...format.notes(run, measurement)];
    if (run.steps.some((s) => s.step === 'prune')) notes.push('Unstructured sparsity shrinks the gzip size only; it makes nothing faster in today\'s runtimes (structured pruning does).');
    const report: CompressReport = {
      kind: 'compress', shrinkml: VERSION, tfjs: tf.version.tfjs, backend: format.backend, createdAt: lineage.createdAt,
      input: { path: lineage.source, hash: lineage.sourceHash, metrics: { ...summarize(inputMeasurement), accuracy: measurement.referenceAccuracy, samples: measurement.samples } },
      output: { path: o.absolutePaths ? staged.final : path.basename(staged.final), metrics: summarize(measurement), weightsHash: lineage.weightsHash! },
      evaluation: { data: lineage.data?.source, split, samples: measurement.samples },
      pipeline, levels, steps: run.steps,
      budget: reportBudget(o, measurement, split, search, chosen),
      search: search ? searchSummary(o, search, chosen!, searched!.resumed) : undefined,
      trials: search?.trials ?? [],
      // A search that relaxed a written pipeline gives every compressible layer a level (0 unless relaxed).
      layers: layerRows(measurement.layers, search && o.config.steps.length && o.input.kind === 'layers'
        ? Object.fromEntries(layersModelTargets(o.input.model).map((t) => [t.layer, levels[t.layer] ?? 0])) : levels),
      notes,
    };
    const { reports } = await output.writeRecords({ lineage, report });
    await o.onPhase?.('commit');
    output.commit(o.signal);
    // The search is done and its output in place: its journal has served.
    await searched?.journal.remove();
    return { report, measurement, lineage, modelJsonPath: staged.final, reports, exitCode: o.budget && !pass ? 1 : 0 };
  } finally {
    output.discard();
    if (run) format.dispose(run);
  }
}

/**
 * A budget searches when there is something to search: a written pipeline to relax, or (no steps) data to judge
 * candidates on. Without either the input is copied and judged, as a size-only check.
 */
function wantsSearch(o: CompressOptions): boolean {
  return !!o.budget && (o.config.steps.length > 0 || !!o.data);
}

/**
 * The budget search with its journal. The timeout covers the whole run: the search gets what is left of it after
 * what the run has spent, less a share kept for writing and measuring the output on the evaluation split.
 */
async function runSearch(o: CompressOptions, provider: DataProvider): Promise<{ search: SearchResult; journal: Journal; resumed: number }> {
  const limits = { ...SEARCH_DEFAULTS, ...o.config.search, ...o.search };
  const accuracyMargin = o.search?.accuracyMargin ?? o.config.search?.accuracyMargin ?? SEARCH_DEFAULTS.accuracyMargin;
  const opened = Journal.open({
    file: journalPath(o.out), resume: !!o.search?.resume,
    key: {
      sourceHash: hashModelFiles(o.input), config: o.config, budget: budgetToString(o.budget!),
      data: JSON.stringify({ source: o.data?.source ?? null, ...o.config.data }), backend: o.input.kind === 'onnx' ? 'onnxruntime-node' : tf.getBackend(),
      accuracyMargin: hasDropLimit(o.budget!) ? accuracyMargin : undefined,
    },
  });
  const journal = opened.journal;
  if (!o.search?.resume && existsSync(journal.file)) {
    o.onLog?.(`note: ${journal.file} holds trials of an earlier, interrupted search; starting afresh (--resume continues it instead)`);
  }
  if (opened.resumed) o.onLog?.(`resuming: ${opened.resumed} trial${opened.resumed === 1 ? '' : 's'} recorded in ${journal.file}`);
  const spent = (Date.now() - (o.startedAt ?? Date.now())) / 1000;
  const timeoutSeconds = Math.max(1, (limits.timeoutSeconds - spent) * (1 - FINAL_SHARE));
  const search = await searchBudget({
    source: o.input, config: o.config, budget: o.budget!, data: provider, journal, maxTrials: limits.maxTrials,
    timeoutSeconds, accuracyMargin, latency: o.latency || undefined, sensitivitySamples: o.config.search?.sensitivitySamples,
    batchSize: o.data?.batchSize, inputs: o.inputs, executor: trialExecutor(o, journal), onProgress: o.onProgress, onWarn: o.onWarn, signal: o.signal,
    onTrial: (t, wasResumed) => o.onLog?.(`trial ${t.id}${wasResumed ? ' (recorded)' : ''}: gzip ${formatValue('bytes', t.metrics.gzipBytes)}, ` +
      `${t.metrics.accuracy === undefined ? `agreement ${t.metrics.agreement === undefined ? '–' : (100 * t.metrics.agreement).toFixed(2) + '%'}` : `accuracy ${(100 * t.metrics.accuracy).toFixed(2)}%`}${t.metrics.drop === undefined ? '' : ` (drop ${t.metrics.drop.toFixed(2)} pt)`} ` +
      `on validation — ${t.pass ? `PASS${t.accuracyMargin ? ` (${t.accuracyMargin.verdict})` : ''}` : `FAIL: ${describeTrialMisses(t)}`} [${t.reason}]`),
  });
  return { search, journal, resumed: opened.resumed };
}

/** report.json's `search`: limits, why it stopped, the Pareto front, the probes. */
function searchSummary(o: CompressOptions, search: SearchResult, chosen: TrialRecord, resumed: number): NonNullable<CompressReport['search']> {
  const limits = { ...SEARCH_DEFAULTS, ...o.config.search, ...o.search };
  return {
    mode: o.config.steps.length ? 'relax the written pipeline' : 'search the pipeline', objective: objectiveOf(o.budget), stopReason: search.stopReason, seconds: search.seconds,
    maxTrials: limits.maxTrials, timeoutSeconds: limits.timeoutSeconds, chosen: chosen.id, pareto: search.pareto,
    sensitivity: search.sensitivity, ...(search.probes ? { probes: search.probes } : {}), resumedTrials: resumed,
  };
}

/** The share of --timeout kept for writing the output and measuring it (and the input) on the evaluation split. */
const FINAL_SHARE = 0.08;

/**
 * Where the search's trials run: this process, or a queue's workers (`queue`). The search id on the queue is one
 * per journal (the same input, pipeline, budget, data and output), so a --resume finds the jobs its interrupted
 * run left there, and the results of trials that finished on their workers after the searcher stopped.
 */
function trialExecutor(o: CompressOptions, journal: Journal): SearchOptions['executor'] {
  const url = o.queue;
  if (!url) return undefined;
  const searchId = createHash('sha256').update(JSON.stringify([journal.data.key, journal.file])).digest('hex').slice(0, 24);
  return (ctx) => openQueueExecutor({ url, ctx: { ...ctx, searchId }, resume: !!o.search?.resume, onLog: o.onLog });
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ShrinkmlError('INTERRUPTED', 'compress interrupted');
}

/** Notes the steps left for a person (opset upgrades, what stayed float and why), from their summaries. */
function stepNotes(run: { steps: { summary: Record<string, unknown> }[] }): string[] {
  return run.steps.flatMap((s) => (Array.isArray(s.summary.notes) ? s.summary.notes as string[] : []));
}

/** Versions of the runtime a format's measurements come from. */
function formatVersions(kind: LoadedModel['kind']): Record<string, string | undefined> {
  return kind === 'onnx' ? onnxPackageVersions() : {};
}
