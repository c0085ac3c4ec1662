import { promises as fsp } from 'node:fs';
import { ShrinkmlError } from '../core/errors.js';
import type { LineageBase } from './lineage.js';
import type { HostTensor, LoadedModel, LoadOptions, ModelKind, SaveOptions, ValueInfo } from './types.js';

/**
 * The format adapter: everything the compress pipeline, measurement and the writers need from a model format, and
 * nothing more. Every format (tfjs Layers in ./layers.ts, tfjs Graph in ./graph.ts, ONNX in ./onnx/adapter.ts)
 * implements it, and the flat list in ./index.ts registers it: adding a format is one adapter file and one line.
 *
 * The contract, by concern:
 * - **Sniff and read**: `canRead` answers only for files that are clearly the adapter's (its position in the list
 *   must not matter); `read` parses with the format's limits and returns the format's view (`M`, one of the
 *   LoadedModel kinds). `read` is also how a written output is measured: exactly as a user would load it.
 * - **Ownership**: `clone` gives an independent working copy that steps may change in place through `weights()` or
 *   replace; `dispose` frees what a view holds (tf variables; nothing for ONNX). The input model is never changed:
 *   the pipeline clones it first.
 * - **Graph interface**: `inputs`/`outputs` are the declared values with their dims as the graph gives them (fixed
 *   numbers, symbolic names, null for free), so inputs are fed by name with shapes from the graph, never invented.
 * - **Running**: `runner` opens a session (onnxruntime, a tfjs model) that maps named inputs to named outputs and
 *   times each run; callers dispose it. One measurement path (src/measure) drives every format through it.
 * - **Weights**: `weights` lists the stored float weights (name, op, shape, role) with read/write of their values,
 *   which is all weight-only steps (magnitude pruning, clustering, storage encodings) need.
 * - **Writing**: `write` writes atomically (temp files, then renames; never over the input or a loaded model; never
 *   over an existing output without `force`), with any companion files (`extraFiles`: lineage, reports) in the same
 *   set. `hash` is `sha256:<hex>` over the weights as the pipeline produced them: equal hashes mean identical
 *   weights (the lineage's `weightsHash`, what "same seed → same weights" is checked against).
 *
 * Steps declare the formats they run on (src/pipeline/steps/types.ts `formats`); a step/format pair without an
 * implementation is refused with one error before anything runs (`unsupportedStep` in src/pipeline/steps).
 */
export interface FormatAdapter<M extends LoadedModel = LoadedModel> {
  /** Named in errors, the lineage and reports: 'tfjs-layers', 'tfjs-graph', 'onnx'. */
  readonly name: string;
  /** The LoadedModel kind `read` returns, so a view finds its adapter (`adapterFor`). */
  readonly kind: ModelKind;
  /** Cheap sniff of a path; never throws (false for anything it cannot open). */
  canRead(path: string): Promise<boolean>;
  read(path: string, options?: LoadOptions): Promise<M>;
  /** An independent working copy: changing or disposing it leaves `model` as it was. */
  clone(model: M): Promise<M>;
  /** Frees what the view holds (tf variables and tensors; no-op where nothing is held). Idempotent. */
  dispose(model: M): void;
  /** Declared graph inputs, in the order the model takes them; dims as declared (number, symbolic name, or null). */
  inputs(model: M): ValueInfo[];
  /** Declared graph outputs, in the order the model gives them. */
  outputs(model: M): ValueInfo[];
  /** A session over the model as it is now (later weight edits are not seen: open a new runner). */
  runner(model: M, options?: RunnerOptions): Promise<ModelRunner>;
  /** The stored float weights a weight-only step may read and rewrite, in model order. */
  weights(model: M): WeightRef[];
  /** Atomic write of the model (and `options.extraFiles` beside it, in the same set). */
  write(model: M, out: string, options?: AdapterWriteOptions): Promise<SaveResult>;
  /** `sha256:<hex>` over the weights (tfjs: names, dtypes, shapes and values; ONNX: the encoded model without lineage). */
  hash(model: M): Promise<string>;
}

/** How a runner is opened. */
export interface RunnerOptions {
  /** Runtime-specific choice, e.g. an OnnxRuntime (onnxruntime-web) for ONNX; default: the format's reference runtime. */
  runtime?: unknown;
  /** Graph optimizations at load where the runtime has them (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** A loaded session: named host tensors in, named host tensors out, each run timed. */
export interface ModelRunner {
  /** The runtime, for reports: 'onnxruntime-node', 'tfjs (wasm)'. */
  readonly runtime: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Runs once on the feeds (every input named, shapes concrete); outputs are copies the caller owns. */
  run(feeds: Record<string, HostTensor>): Promise<RunResult>;
  dispose(): Promise<void>;
}

export interface RunResult {
  /** Every declared output, by name. */
  outputs: Record<string, HostTensor>;
  /** Wall time of the run itself (feeds to outputs on the host), in milliseconds. */
  ms: number;
}

/**
 * One stored float weight. `read` returns a copy; `write` replaces the values (same element count) in the view it
 * came from. `role` tells kernels (what pruning, clustering and int8 act on) from biases and everything else.
 */
export interface WeightRef {
  /** Unique in the model: the manifest name (tfjs) or the initializer / Constant output name (ONNX). */
  name: string;
  /** The op or layer class that uses it: 'Conv', 'MatMul', 'Dense', 'Conv2D'. */
  op: string;
  /** The node or layer that uses it (the first consumer where there are several). */
  node: string;
  shape: number[];
  role: 'kernel' | 'bias' | 'other';
  /** Async: a GPU backend's values come back asynchronously (core/read.ts). */
  read(): Promise<Float32Array>;
  write(values: Float32Array): void;
}

/** Writer options every adapter takes; format-specific ones (tfjs encodings, ONNX lineage in metadata) are ignored by the others. */
export interface AdapterWriteOptions extends SaveOptions {
  /** The lineage: ONNX also embeds it in metadata_props; tfjs writes it only as a companion file (via extraFiles). */
  lineage?: LineageBase<unknown>;
}

export interface SaveResult {
  /** Absolute path of the written descriptor: model.json (or named .json file), or the .onnx file. */
  modelJsonPath: string;
  /** Absolute paths of the weight shards written (empty for a single-file format). */
  weightFiles: string[];
  /** Bytes of weight data on disk (after any quantized encoding; the whole file for ONNX). */
  weightBytes: number;
}

/** The adapter of a loaded view (by its kind). */
export function adapterFor<M extends LoadedModel>(formats: readonly FormatAdapter[], model: M): FormatAdapter<M> {
  const adapter = formats.find((f) => f.kind === model.kind);
  if (!adapter) throw new ShrinkmlError('UNSUPPORTED', `${model.source}: no format adapter for ${model.kind} models`, { subject: model.source });
  return adapter as unknown as FormatAdapter<M>;
}

/** The adapter that recognises `path`, or undefined. */
export async function sniffFormat(formats: readonly FormatAdapter[], path: string): Promise<FormatAdapter | undefined> {
  for (const format of formats) {
    if (await format.canRead(path)) return format;
  }
  return undefined;
}

/** Load `path` with the first adapter that recognises it. */
export async function loadWith(formats: readonly FormatAdapter[], path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  if (!(await fsp.stat(path).catch(() => null))) {
    throw new ShrinkmlError('NOT_FOUND', `${path}: no such file or folder`, { subject: path });
  }
  const format = await sniffFormat(formats, path);
  if (format) return format.read(path, options);
  throw new ShrinkmlError('UNSUPPORTED', `${path}: unrecognised model format (known: ${formats.map((f) => f.name).join(', ')})`, {
    subject: path, suggestion: 'pass a folder containing model.json, the model\'s .json file, or an .onnx file',
  });
}
