import type * as tf from '@tensorflow/tfjs';
import type { ProgressFn, WarnFn } from '../../core/progress.js';
import type { ClusteredWeight } from '../../cluster/index.js';
import type { InputOptions } from '../../data/feeds.js';
import type { FormatAdapter } from '../../formats/registry.js';
import type { LoadedModel, ModelKind, WeightEncoding } from '../../formats/types.js';
import type { DataProvider } from '../data.js';
import type { ObjectSchema } from '../schema.js';

/** The step names a pipeline config may use, in the order they may appear (see PHASES). */
export type StepName = 'prune' | 'distill' | 'cluster' | 'qat' | 'ptq' | 'weight-format';

/**
 * Steps run in phase order: training steps change weights freely; `cluster` shares weights (later training would
 * undo the sharing); `quantize` and `storage` decide how weights are stored, and only one step may decide that.
 */
export type StepPhase = 'train' | 'cluster' | 'quantize' | 'storage';
export const PHASES: readonly StepPhase[] = ['train', 'cluster', 'quantize', 'storage'];

/**
 * Per-layer fallback used by the budget search: level 0 is the step's options as written (most aggressive),
 * each level up halves what the step removes (pruning keeps twice the weights, clustering doubles the
 * centroids), and MAX_LEVEL leaves the layer alone (float32, dense).
 */
export const MAX_LEVEL = 3;
export type LayerLevels = Record<string, number>;

/** How the output is stored; steps fill it in, the writer (../output.ts) reads it. */
export interface OutputPlan {
  /** Per manifest weight name: stored as uint8/uint16/float16 instead of float32 (stock-loadable). */
  encodings: Record<string, WeightEncoding>;
  /** Weights stored as codebook + packed indices (decoded at load by shrinkml, see src/cluster). */
  clusters: Record<string, ClusteredWeight>;
  /** Bits per weight as stored, by manifest name, for reports (int8 / clustered layers). */
  weightBits: Record<string, number>;
  /** Merged into the `shrinkml` block of model.json. */
  shrinkml: Record<string, unknown>;
}

export function emptyOutputPlan(): OutputPlan {
  return { encodings: {}, clusters: {}, weightBits: {}, shrinkml: {} };
}

export interface StepContext {
  /** The model entering the step. The step must not dispose or modify it: it returns a new model. */
  model: tf.LayersModel;
  /** The model the pipeline started from (distillation's default teacher); never modified. */
  source: tf.LayersModel;
  data: DataProvider;
  /** This step's own seed, derived from the pipeline seed and the step's index. */
  seed: number;
  /** Sensitivity analysis: apply the compression one-shot, without any training. */
  quick: boolean;
  /** Per-layer fallback levels (absent layers: level 0). */
  levels: LayerLevels;
  output: OutputPlan;
  /** How model inputs are fed (`--input-shape`, `--input`), for steps that run the model on data. */
  inputs?: InputOptions;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
  signal?: AbortSignal;
}

export interface StepResult {
  /** A new model (or `ctx.model` itself when the step changed nothing); the runner disposes the one it replaces. */
  model: tf.LayersModel;
  /** What the step did, for reports and the lineage (plain JSON). */
  summary: Record<string, unknown>;
}

/**
 * The context of a step running over a format adapter (any format but tfjs Layers, whose steps use the tf model
 * directly through StepContext). `model` is the pipeline's own working copy (the input was cloned first): a step may
 * edit it in place (through `adapter.weights(model)`) and return it, or return a new view; the runner disposes the
 * one replaced.
 */
export interface AdapterStepContext<M extends LoadedModel = LoadedModel> extends Omit<StepContext, 'model' | 'source'> {
  model: M;
  /** The model the pipeline started from; never modified. */
  source: M;
  adapter: FormatAdapter<M>;
}

export interface AdapterStepResult<M extends LoadedModel = LoadedModel> {
  model: M;
  summary: Record<string, unknown>;
}

/** How one step runs on one format. */
export interface StepImpl<Ctx, Result> {
  /**
   * Options this format cannot do (e.g. N:M pruning on ONNX): the reason, as one line, or undefined. Asked before
   * anything runs, so an unsupported request fails first.
   */
  refuse?(options: Record<string, unknown>): string | undefined;
  /**
   * What the step reads besides weights: 'none' (weight-only: no data, no input shapes), 'calibration' or 'train'
   * data. Default 'none'. Weight-only steps run on models with free input dims.
   */
  needs?(options: Record<string, unknown>, quick: boolean): 'none' | 'calibration' | 'train';
  /** Apply the step. In quick mode (sensitivity probes) a training-only step returns `ctx.model` unchanged. */
  run(options: Record<string, unknown>, ctx: Ctx): Promise<Result>;
}

/** A step's implementations by format: a format without one is refused with one error (see ./support.ts). */
export interface StepFormats {
  layers?: StepImpl<StepContext, StepResult>;
  graph?: StepImpl<AdapterStepContext<Extract<LoadedModel, { kind: 'graph' }>>, AdapterStepResult<Extract<LoadedModel, { kind: 'graph' }>>>;
  onnx?: StepImpl<AdapterStepContext<Extract<LoadedModel, { kind: 'onnx' }>>, AdapterStepResult<Extract<LoadedModel, { kind: 'onnx' }>>>;
}

/**
 * One technique of the pipeline. Adding one = one file in this folder + one line in ./index.ts; supporting another
 * format = one more entry in its `formats`.
 * Options are plain JSON, validated against `schema` (errors carry the field's path) before anything runs.
 */
export interface PipelineStep {
  name: StepName;
  phase: StepPhase;
  /** One line for `--help`. */
  description: string;
  schema: ObjectSchema;
  /** Checks beyond the schema (e.g. parsing a spec string); throw BAD_INPUT naming `path`. */
  check?(options: Record<string, unknown>, path: string): void;
  /** The formats the step runs on, each with its implementation. */
  formats: StepFormats;
}

export type { ModelKind };
