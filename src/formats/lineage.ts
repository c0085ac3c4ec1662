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
  /** Absolute path of the input model's descriptor and a sha256 over it and its weight files, in manifest order. */
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

/** A lineage with its header filled in (versions, time, the source and its hash). */
export function buildLineage<L extends LineageBase<unknown>>(options: Omit<L, 'shrinkml' | 'tfjs' | 'createdAt' | 'source' | 'sourceHash'> & {
  loaded: Pick<LoadedModelBase, 'descriptorPath' | 'weightFiles'>;
}): L {
  const { loaded, ...rest } = options;
  return {
    shrinkml: VERSION, tfjs: tf.version.tfjs, createdAt: new Date().toISOString(),
    source: path.resolve(loaded.descriptorPath), sourceHash: hashModelFiles(loaded), ...rest,
  } as unknown as L;
}
