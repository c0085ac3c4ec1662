import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { VERSION } from '../core/version.js';
import type { Split } from '../data/types.js';
import type { LoadedModelBase } from './types.js';

/**
 * The lineage manifest every output of shrinkml carries, whatever its format: where it came from (a hash of the
 * input's files), what was done to it (steps and config as data), on which data, with which versions, and what
 * was measured. The tfjs pipeline (src/pipeline/lineage.ts) writes it beside model.json; ONNX outputs also hold
 * it in metadata_props (src/onnx/lineage.ts). `Config` is the config type of the writer.
 */
export interface LineageBase<Config = unknown> {
  shrinkml: string;
  tfjs: string;
  createdAt: string;
  /**
   * The input model's descriptor, relative to the folder the output lives in (so no local layout leaks and a moved
   * pair of folders still resolves; absolute only when asked for), and a sha256 over it and its weight files, in
   * manifest order, which identifies it wherever it went. Resolve it with resolveRecordedPath.
   */
  source: string;
  sourceHash: string;
  /** The steps that were applied, as data (options included). */
  steps: { step: string; options: Record<string, unknown> }[];
  seed?: number;
  /**
   * The evaluation data (`split`, `samples`: what `metrics` were measured on) and every split the pipeline read
   * (`splits`: samples per split; training never sees the test split).
   */
  data?: { source: string; split: string; samples?: number; splits?: Partial<Record<Split, number>> };
  /** The metrics measured on the output (when the run measured any). */
  metrics?: Record<string, unknown>;
  /** The whole config, as data: rerun it with the same seed, data and backend to get the same weights. */
  config?: Config;
  /** Everything that can change the numbers besides the config and data. */
  versions?: { shrinkml: string; tfjs: string; node?: string; backend?: string; onnxruntime?: string; onnxSchema?: string };
  /** sha256 over the output as shrinkml produced it (tfjs: its weights, see hashWeights; ONNX: the model bytes). */
  weightsHash?: string;
}

/** Written inside every model folder that shrinkml produces. */
export const LINEAGE_FILE = 'lineage.json';

/**
 * Where the lineage of a model lives: `lineage.json` in a model folder, `<name>.lineage.json` beside a single
 * file (`out/model.json`, `out/model.onnx` → `out/model.lineage.json`), as the reports are named.
 */
export function lineageFileName(descriptorPath: string, folder: boolean): string {
  return folder ? LINEAGE_FILE : `${path.basename(descriptorPath).replace(/\.(json|onnx)$/i, '')}.lineage.json`;
}

/** `sha256:<hex>` over a model's descriptor and weight files, in manifest order (for ONNX: the .onnx file). */
export function hashModelFiles(loaded: Pick<LoadedModelBase, 'descriptorPath' | 'weightFiles'>): string {
  const hash = createHash('sha256');
  for (const file of [loaded.descriptorPath, ...loaded.weightFiles]) hash.update(readFileSync(file));
  return `sha256:${hash.digest('hex')}`;
}

/**
 * How lineage and reports record a local path: relative to `outDir`, the folder the output's files live in, with
 * `/` separators; absolute only when the user asked for it (`--absolute-paths`).
 */
export function recordedPath(p: string, outDir: string, absolute?: boolean): string {
  const abs = path.resolve(p);
  if (absolute) return abs;
  const rel = path.relative(path.resolve(outDir), abs).split(path.sep).join('/');
  // `./` keeps a path from reading as a built-in dataset name (`mnist` vs a folder named mnist).
  return rel.startsWith('../') ? rel : `./${rel}`;
}

/** A recorded path back to an absolute one: relative paths are relative to the folder holding the record. */
export function resolveRecordedPath(recorded: string, recordDir: string): string {
  return path.resolve(recordDir, recorded);
}

/** A lineage with its header filled in (versions, time, the source and its hash). */
export function buildLineage<L extends LineageBase<unknown>>(options: Omit<L, 'shrinkml' | 'tfjs' | 'createdAt' | 'source' | 'sourceHash'> & {
  loaded: Pick<LoadedModelBase, 'descriptorPath' | 'weightFiles'>;
  /** The folder the output's files will live in: paths are recorded relative to it. */
  out: string;
  absolutePaths?: boolean;
}): L {
  const { loaded, out, absolutePaths, ...rest } = options;
  return {
    shrinkml: VERSION, tfjs: tf.version.tfjs, createdAt: new Date().toISOString(),
    source: recordedPath(loaded.descriptorPath, out, absolutePaths), sourceHash: hashModelFiles(loaded), ...rest,
  } as unknown as L;
}
