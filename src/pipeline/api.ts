import type { InputOptions } from '../data/feeds.js';
import { disposeLoaded, loadModel } from '../formats/index.js';
import type { LoadedModel, LoadOptions } from '../formats/types.js';
import { toBudget, type Budget } from '../measure/index.js';
import type { ProgressFn, WarnFn } from '../core/progress.js';
import { compressModel, type CompressOptions, type CompressResult } from './compress.js';
import { parsePipelineConfig, type PipelineConfig } from './config.js';
import { configFromFlags, type PipelineFlags } from './flags.js';
import { getPreset } from './presets.js';

/** What `compress` does: the pipeline (a config, a preset, and/or flag-like shortcuts), data, budget, inputs. */
export interface CompressFileOptions extends PipelineFlags {
  /** A pipeline config (validated like a --config file). */
  config?: PipelineConfig | Record<string, unknown>;
  /** A ready-made pipeline (`edge`, `balanced`, `max-accuracy`); the shortcuts above change it. */
  preset?: string;
  /**
   * Evaluation (and training/calibration) data: a built-in name or a path, as `--data` takes it (an image folder is
   * sized to the model's input; `pixels` scales it, as --input-range/--mean/--std do).
   */
  data?: string | NonNullable<CompressOptions['data']>;
  /** Criteria such as "gzip<=100KB,drop<=0.5%"; with steps, the budget search runs (tfjs Layers). */
  budget?: string | Budget;
  /** How inputs are fed: shapes for free dims, values of non-data inputs, which inputs take the data. */
  inputs?: InputOptions;
  /** Replace an existing output (never the input). */
  force?: boolean;
  /** Latency of input and output (default none; a p50/p95 budget turns it on). */
  latency?: CompressOptions['latency'];
  search?: CompressOptions['search'];
  /** `redis://host:port`: run the budget search's trials on `shrinkml worker` processes (optional peer bullmq). */
  queue?: string;
  load?: LoadOptions;
  /** Record absolute paths of the input and data in lineage and report (default: relative to the output). */
  absolutePaths?: boolean;
  onPhase?: CompressOptions['onPhase'];
  /** The output, already opened (locked, checked) by the caller; committed or discarded by compress. */
  output?: CompressOptions['output'];
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Compress a model file into another, whatever its format (a tfjs Layers folder or model.json, an .onnx file): run
 * the pipeline (steps as data; with a budget, the search for the most compressed candidate that meets it), write the
 * output atomically with its lineage, measure it against the input, and write report.json/md/html beside it. This
 * is the function `shrinkml compress` calls. Never prints, never exits; bad input throws a ShrinkmlError.
 *
 * @param input the model to compress: a path, or a model already loaded (the caller keeps and disposes it)
 * @param output a folder or `.json` path for tfjs, a `.onnx` path for ONNX
 * @returns the report (also in `<output>/report.json`), with the full measurement, lineage and report paths
 *
 * @example
 * const { report } = await compress('model.onnx', 'small.onnx', { quantize: 'dynamic', data: 'mnist' });
 * console.log(report.output.metrics.bytes, report.budget?.pass);
 */
export async function compress(input: string | LoadedModel, output: string, options: CompressFileOptions = {}): Promise<CompressResult> {
  // An empty pipeline (measure and copy) is valid as a config object, not as a file: it skips the schema's minimum.
  let config: PipelineConfig;
  let budget: Budget | undefined;
  let loaded: LoadedModel;
  try {
    const raw = options.config as { steps?: unknown[] } | undefined;
    const empty = Array.isArray(raw?.steps) && raw!.steps!.length === 0;
    const base = raw ? (empty ? { version: 1 as const, seed: 1, ...raw, steps: [] } : parsePipelineConfig(raw, 'config'))
      : options.preset ? getPreset(options.preset) : undefined;
    config = configFromFlags(options, base);
    budget = options.budget === undefined ? undefined : toBudget(options.budget);
    loaded = typeof input === 'string' ? await loadModel(input, options.load) : input;
  } catch (e) {
    options.output?.discard();
    throw e;
  }
  const data = typeof options.data === 'string' ? { source: options.data } : options.data;
  try {
    return await compressModel({
      input: loaded, config, out: output, force: options.force, budget, data, inputs: options.inputs, latency: options.latency ?? false,
      search: options.search, queue: options.queue, absolutePaths: options.absolutePaths, onPhase: options.onPhase, output: options.output, onProgress: options.onProgress, onWarn: options.onWarn, onLog: options.onLog, signal: options.signal,
    });
  } finally {
    if (typeof input === 'string') disposeLoaded(loaded);
  }
}
