import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { VERSION } from '../core/version.js';
import type { Split } from '../data/types.js';
import type { LoadedModel } from '../formats/types.js';
import * as tf from '@tensorflow/tfjs';
import type { PipelineConfig } from './config.js';
import type { LayerLevels } from './steps/types.js';

/** Written beside every model.json that shrinkml produces, so any result can be traced to what made it. */
export const LINEAGE_FILE = 'lineage.json';

export interface Lineage {
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
  /** The whole pipeline config, as data: rerun it with the same seed, data and backend to get the same weights. */
  config?: PipelineConfig;
  /** Per-layer fallback levels chosen by the budget search (absent layers: level 0). */
  levels?: LayerLevels;
  /** The pipeline seed and the seed each step derived from it. */
  seeds?: { pipeline: number; steps: number[] };
  /** Everything that can change the numbers besides the config and data. */
  versions?: { shrinkml: string; tfjs: string; node?: string; backend?: string };
  /** sha256 over the output's weights as the pipeline produced them (see hashWeights). */
  weightsHash?: string;
  /** The budget the output was searched for, and whether it met it; `closest` marks a best-effort output. */
  budget?: { text: string; pass: boolean; closest: boolean };
}

/**
 * sha256 over every weight of a model (name, dtype, shape and bytes, in model order): equal hashes mean
 * bit-identical weights, which is what "same seed → same weights" promises.
 */
export function hashWeights(model: tf.LayersModel): string {
  const hash = createHash('sha256');
  for (const w of model.weights) {
    const values = w.read().dataSync();
    hash.update(`${w.originalName}|${w.dtype}|${w.shape.join(',')}|`);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return `sha256:${hash.digest('hex')}`;
}

/** Where the lineage of a model lives: `lineage.json` in a model folder, `<name>.lineage.json` beside a single .json file. */
export function lineageFileName(descriptorPath: string, folder: boolean): string {
  return folder ? LINEAGE_FILE : `${path.basename(descriptorPath).replace(/\.json$/i, '')}.lineage.json`;
}

export function hashModelFiles(loaded: Pick<LoadedModel, 'descriptorPath' | 'weightFiles'>): string {
  const hash = createHash('sha256');
  for (const file of [loaded.descriptorPath, ...loaded.weightFiles]) hash.update(readFileSync(file));
  return `sha256:${hash.digest('hex')}`;
}

export function buildLineage(options: Omit<Lineage, 'shrinkml' | 'tfjs' | 'createdAt' | 'source' | 'sourceHash'> & {
  loaded: LoadedModel;
}): Lineage {
  const { loaded, ...rest } = options;
  return {
    shrinkml: VERSION, tfjs: tf.version.tfjs, createdAt: new Date().toISOString(),
    source: path.resolve(loaded.descriptorPath), sourceHash: hashModelFiles(loaded), ...rest,
  };
}

/** The lineage beside a model.json, or undefined when there is none or it cannot be read. */
export function readLineage(descriptorPath: string): Lineage | undefined {
  const beside = path.join(path.dirname(descriptorPath), lineageFileName(descriptorPath, false));
  const file = existsSync(beside) ? beside : path.join(path.dirname(descriptorPath), LINEAGE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const lineage = JSON.parse(readFileSync(file, 'utf8')) as Lineage;
    return typeof lineage.source === 'string' && existsSync(lineage.source) ? lineage : undefined;
  } catch {
    return undefined;
  }
}
