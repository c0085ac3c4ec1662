import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { copyLayersModel, disposeLayersModel } from '../formats/layers.js';
import type { ProgressFn, WarnFn } from '../core/progress.js';
import { deriveSeed } from '../data/random.js';
import type { PipelineConfig } from './config.js';
import type { DataProvider } from './data.js';
import { getStep } from './steps/index.js';
import { stepImpl } from './steps/support.js';
import type { StepContext, StepImpl, StepResult } from './steps/types.js';
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
  const output = emptyOutputPlan();
  const records: StepRecord[] = [];
  let current = options.model;
  try {
    for (const [i, s] of options.config.steps.entries()) {
      checkAborted(options.signal, `before step ${i + 1} (${s.step})`);
      const step = getStep(s.step);
      const impl = stepImpl(step, 'layers', s.options, `steps[${i}] '${s.step}'`) as StepImpl<StepContext, StepResult>;
      const seed = stepSeed(options.config, i);
      const t0 = Date.now();
      const result = await impl.run(s.options, {
        model: current, source: options.model, data: options.data, seed, quick: !!options.quick, levels: options.levels ?? {},
        output, onProgress: options.onProgress, onWarn: options.onWarn, signal: options.signal,
      });
      if (result.model !== current && current !== options.model) disposeModel(current);
      current = result.model;
      records.push({ step: s.step, options: s.options, seed, seconds: (Date.now() - t0) / 1000, summary: result.summary });
    }
    // The caller owns what comes back; never hand out the input itself (a no-op pipeline returns a copy).
    if (current === options.model) current = await copyLayersModel(options.model);
    // Training left an optimizer (and its slot variables) on the model; the output is for inference.
    releaseOptimizer(current);
    return { model: current, output, steps: records, seconds: (Date.now() - started) / 1000 };
  } catch (e) {
    if (current !== options.model) disposeModel(current);
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
