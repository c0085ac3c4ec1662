import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { copyLayersModel, disposeLayersModel } from '../formats/layers.js';
import type { ProgressFn, WarnFn } from '../core/progress.js';
import { deriveSeed } from '../data/random.js';
import type { PipelineConfig } from './config.js';
import type { DataProvider } from './data.js';
import { getStep } from './steps/index.js';
import { stepImpl } from './steps/support.js';
import type { AdapterStepContext, StepContext, StepImpl } from './steps/types.js';
import type { InputOptions } from '../data/feeds.js';
import { formatOf } from '../formats/index.js';
import type { LoadedModel } from '../formats/types.js';
import { emptyOutputPlan, type LayerLevels, type OutputPlan } from './steps/types.js';

export interface RunPipelineOptions {
  /** The input model; never modified or disposed. */
  model: tf.LayersModel;
  config: PipelineConfig;
  data: DataProvider;
  /** Per-layer fallback levels chosen by the budget search (default: none, every layer at level 0). */
  levels?: LayerLevels;
  /** No training anywhere: one-shot compression, for sensitivity analysis. */
  quick?: boolean;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
  signal?: AbortSignal;
}

export interface StepRecord {
  step: string;
  options: Record<string, unknown>;
  seed: number;
  seconds: number;
  summary: Record<string, unknown>;
}

export interface PipelineRun {
  /** The compressed model; the caller disposes it. */
  model: tf.LayersModel;
  output: OutputPlan;
  steps: StepRecord[];
  seconds: number;
}

/** The seed of step i: independent streams from one pipeline seed, so inserting a step does not reseed the others' data order. */
export function stepSeed(config: PipelineConfig, index: number): number {
  return deriveSeed(config.seed, index);
}

function checkAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new ShrinkmlError('INTERRUPTED', `pipeline stopped ${where}`);
}

/**
 * Runs the steps in order on a copy of the model. Each step returns a new model; the one it replaces is disposed
 * here (never the input). Deterministic: the same config, seed, data and backend give bit-identical weights.
 */
export async function runPipeline(options: RunPipelineOptions): Promise<PipelineRun> {
  const started = Date.now();
  checkSupported(options.config, 'layers');
  // Layers steps return new tf models rather than editing one, so the loop starts on the input itself.
  const run = await runSteps<tf.LayersModel>(options, 'layers', options.model, (m) => { if (m !== options.model) disposeModel(m); },
    (current, seed, output) => ({
      model: current, source: options.model, data: options.data, seed, quick: !!options.quick, levels: options.levels ?? {},
      output, onProgress: options.onProgress, onWarn: options.onWarn, signal: options.signal,
    } satisfies StepContext));
  let current = run.model;
  // The caller owns what comes back; never hand out the input itself (a no-op pipeline returns a copy).
  if (current === options.model) current = await copyLayersModel(options.model);
  // Training left an optimizer (and its slot variables) on the model; the output is for inference.
  releaseOptimizer(current);
  return { model: current, output: run.output, steps: run.steps, seconds: (Date.now() - started) / 1000 };
}

/**
 * The one step loop of both pipelines (the caller has run checkSupported): runs each step with its own seed,
 * releases the working model a step replaced, and on failure releases the one it holds.
 */
async function runSteps<M>(
  options: Pick<RunPipelineOptions, 'config' | 'signal'>, kind: LoadedModel['kind'], start: M, release: (model: M) => void,
  context: (current: M, seed: number, output: OutputPlan) => StepContext | AdapterStepContext,
): Promise<{ model: M; output: OutputPlan; steps: StepRecord[] }> {
  const output = emptyOutputPlan();
  const steps: StepRecord[] = [];
  let current = start;
  try {
    for (const [i, s] of options.config.steps.entries()) {
      checkAborted(options.signal, `before step ${i + 1} (${s.step})`);
      const impl = stepImpl(getStep(s.step), kind, s.options, `steps[${i}] '${s.step}'`) as StepImpl<StepContext | AdapterStepContext, { model: M; summary: Record<string, unknown> }>;
      const seed = stepSeed(options.config, i);
      const t0 = Date.now();
      const result = await impl.run(s.options, context(current, seed, output));
      if (result.model !== current) release(current);
      current = result.model;
      steps.push({ step: s.step, options: s.options, seed, seconds: (Date.now() - t0) / 1000, summary: result.summary });
    }
    return { model: current, output, steps };
  } catch (e) {
    release(current);
    throw e;
  }
}

/** Dispose a model and the optimizer training attached to it (tfjs leaves an optimizer passed to compile alive). */
export const disposeModel = disposeLayersModel;

function releaseOptimizer(model: tf.LayersModel): void {
  if (!model.optimizer) return;
  model.optimizer.dispose();
  model.optimizer = null as unknown as tf.Optimizer;
}

export interface RunAdapterPipelineOptions extends Omit<RunPipelineOptions, 'model'> {
  /** The input model, any format with an adapter; never modified or disposed. */
  model: LoadedModel;
  inputs?: InputOptions;
}

export interface AdapterPipelineRun extends Omit<PipelineRun, 'model'> {
  /** The compressed model (the pipeline's own copy); the caller disposes it through its adapter. */
  model: LoadedModel;
}

/**
 * Checks every step of `config` against the format before anything runs: one UNSUPPORTED error names the first
 * step the format cannot do (see ./steps/support.ts).
 */
export function checkSupported(config: PipelineConfig, kind: LoadedModel['kind']): void {
  config.steps.forEach((s, i) => stepImpl(getStep(s.step), kind, s.options, `steps[${i}] '${s.step}'`));
}

/**
 * The pipeline over a format adapter (every format but tfjs Layers, whose steps work on the tf model: runPipeline).
 * The input is cloned once; each step edits the working copy or returns a new view. Deterministic like runPipeline.
 */
export async function runAdapterPipeline(options: RunAdapterPipelineOptions): Promise<AdapterPipelineRun> {
  const started = Date.now();
  const adapter = formatOf(options.model);
  checkSupported(options.config, options.model.kind);
  const copy = await adapter.clone(options.model);
  const run = await runSteps<LoadedModel>(options, options.model.kind, copy, (m) => adapter.dispose(m),
    (current, seed, output) => ({
      model: current, source: options.model, adapter, data: options.data, seed, quick: !!options.quick, levels: options.levels ?? {},
      output, inputs: options.inputs, onProgress: options.onProgress, onWarn: options.onWarn, signal: options.signal,
    } satisfies AdapterStepContext));
  return { ...run, seconds: (Date.now() - started) / 1000 };
}
