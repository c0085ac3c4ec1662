import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { VERSION } from '../core/version.js';
import type { LoadedModel } from '../formats/types.js';
import * as tf from '@tensorflow/tfjs';

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
  data?: { source: string; split: string; samples?: number };
  /** The metrics measured on the output (when the run measured any). */
  metrics?: Record<string, unknown>;
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
  const file = path.join(path.dirname(descriptorPath), LINEAGE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const lineage = JSON.parse(readFileSync(file, 'utf8')) as Lineage;
    return typeof lineage.source === 'string' && existsSync(lineage.source) ? lineage : undefined;
  } catch {
    return undefined;
  }
}
