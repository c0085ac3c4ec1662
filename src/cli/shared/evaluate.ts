import { batches, loadData, planLayout, type Dataset, type Split } from '../../data/index.js';
import { ShrinkmlError } from '../../core/errors.js';
import { planFeeds, type InputOptions } from '../../data/feeds.js';
import type { ResolvedData } from '../../data/sources.js';
import { formatOf } from '../../formats/index.js';
import type { LoadedModel } from '../../formats/types.js';
import { measureModel, toBudget, type Budget, type Measurement } from '../../measure/index.js';
import type { CliIo } from '../command.js';
import { int8Hints } from './model.js';
import { stderrProgress } from './progress.js';

export interface EvaluateFlags {
  /** `--data`, as given (repeatable); resolved against the model by resolveCliData. */
  data?: string[];
  split: Split;
  limit?: number;
  batchSize: number;
  latency: boolean;
  runs: number;
  warmup: number;
  batchSizes: number[];
  budget?: string;
}

const DATA_METRICS = ['acc', 'drop', 'agreement', 'kl', 'cosine', 'mse', 'psnr'];
const REFERENCE_METRICS = ['drop', 'agreement', 'kl', 'cosine', 'mse', 'psnr'];
const LATENCY_METRICS = ['p50', 'p95'];

/**
 * Every budget/flag conflict that can be seen before loading anything, refused up front (exit 2) instead of
 * measuring for minutes and reporting "not measured": criteria that need data without --data, latency criteria
 * with --no-latency. Returns the parsed budget.
 */
export function checkBudgetFlags(flags: Pick<EvaluateFlags, 'budget' | 'data' | 'latency'>): Budget | undefined {
  const budget = flags.budget === undefined ? undefined : toBudget(flags.budget);
  const metrics = [...new Set(budget?.criteria.map((c) => c.metric as string) ?? [])];
  const needsData = metrics.filter((m) => DATA_METRICS.includes(m));
  if (needsData.length && !flags.data) {
    throw new ShrinkmlError('BUDGET', `budget criteria ${needsData.join(', ')} need data to measure`, {
      subject: '--budget', suggestion: 'add --data mnist (or your own data)',
    });
  }
  const needsLatency = metrics.filter((m) => LATENCY_METRICS.includes(m));
  if (needsLatency.length && flags.latency === false) {
    throw new ShrinkmlError('BUDGET', `budget criteria ${needsLatency.join(', ')} need latency, which --no-latency turns off`, {
      subject: '--budget', suggestion: 'drop --no-latency, or the latency criteria',
    });
  }
  return budget;
}

/** Whether a budget compares against a reference model. */
export function needsReference(budget: Budget | undefined): boolean {
  return !!budget?.criteria.some((c) => REFERENCE_METRICS.includes(c.metric));
}

/** Loads the data a command asked for (if any) and measures one model, optionally against a reference. */
export async function evaluateForCli(options: {
  loaded: LoadedModel; reference?: LoadedModel; flags: EvaluateFlags; io: CliIo;
  /** How inputs are fed (`--input-shape`, `--input`, `--data name=`); with it, or an ONNX model, feeds come from the graph. */
  inputs?: InputOptions;
  /** `--data` matched to the model (resolveCliData): the source, image folders and several sources. */
  data?: ResolvedData;
  /** Called once the inputs are validated and loaded, before measuring: where the CLI picks its backend. */
  beforeMeasure?: () => Promise<unknown>;
}): Promise<{ measurement: Measurement; dataset?: Dataset }> {
  const { loaded, reference, flags, io } = options;
  // Parse the budget before slow work, and refuse criteria that can never be measured with these inputs.
  const budget = checkBudgetFlags(flags);
  const metrics = new Set(budget?.criteria.map((c) => c.metric as string) ?? []);
  const missing = REFERENCE_METRICS.filter((m) => metrics.has(m));
  if (missing.length && !reference) {
    throw new ShrinkmlError('BUDGET', `budget criteria ${missing.join(', ')} compare against a reference model, and none is known`, {
      subject: '--budget', suggestion: 'pass --reference <original model>',
    });
  }
  const progress = stderrProgress(io);
  // tfjs models with plain inputs are fed tensors directly; anything else through its adapter's runner — also a
  // graph whose batch dim is fixed (blazeface's [1, 256, 256, 3]), which the runner's feed plan runs sample by sample.
  const inputShape = loaded.kind === 'onnx' ? [] : loaded.model.inputs[0]?.shape ?? [];
  const fixedBatch = [loaded, reference].some((m) => m && m.kind !== 'onnx' && m.model.inputs.some((i) => (i.shape?.[0] ?? -1) > 0));
  const direct = loaded.kind !== 'onnx' && reference?.kind !== 'onnx' && !options.inputs && !fixedBatch;
  let dataset: Dataset | undefined;
  // Bad data and bad input flags fail here, as one line: before the backend is probed and before any progress line.
  const data = options.data;
  if (data) {
    dataset = await loadData({ source: data.source, split: flags.split, limit: flags.limit, feed: data.feed });
    if (direct) planLayout(dataset, inputShape);
  }
  if (!direct && (dataset || flags.latency)) await planFeeds(loaded.source, formatOf(loaded).inputs(loaded), options.inputs);
  await options.beforeMeasure?.();
  if (dataset) io.stderr(`data: ${data!.source} (${flags.split} split, ${dataset.count} samples)\n`);
  for (const note of data?.notes ?? []) io.stderr(`note: ${note}\n`);
  const measurement = await measureModel({
    loaded, reference, budget, totalSamples: dataset?.count, ...int8Hints(loaded), inputs: options.inputs,
    batches: dataset && direct ? batches(dataset, { batchSize: flags.batchSize, inputShape }) : undefined,
    dataset: direct ? undefined : dataset, batchSize: flags.batchSize,
    latency: flags.latency ? { batchSizes: flags.batchSizes, runs: flags.runs, warmup: flags.warmup } : false,
    onProgress: progress,
  });
  if (measurement.streamed) io.stderr(`note: ${measurement.streamed.note}\n`);
  return { measurement, dataset };
}
