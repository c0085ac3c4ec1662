import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findBuiltinDataset } from '../data/builtin/index.js';
import { buildLineage as buildBase, LINEAGE_FILE, lineageFileName, recordedPath, resolveRecordedPath, type LineageBase } from '../formats/lineage.js';
import { hashLayersWeights } from '../formats/layers.js';
import type { LoadedModel } from '../formats/types.js';
import type { PipelineConfig } from './config.js';
import type { LayerLevels } from './steps/types.js';

export { hashModelFiles, LINEAGE_FILE, lineageFileName, recordedPath, resolveRecordedPath } from '../formats/lineage.js';

/** A data source as recorded: a built-in dataset's name as is, a file or folder as recordedPath (relative to the output). */
export function recordedDataSource(source: string, outDir: string, absolute?: boolean): string {
  return findBuiltinDataset(source) || !existsSync(source) ? source : recordedPath(source, outDir, absolute);
}

/** Written beside every model.json that shrinkml produces, so any result can be traced to what made it. */
export interface Lineage extends LineageBase<PipelineConfig> {
  /** Per-layer fallback levels chosen by the budget search (absent layers: level 0). */
  levels?: LayerLevels;
  /** The pipeline seed and the seed each step derived from it. */
  seeds?: { pipeline: number; steps: number[] };
  /** The budget the output was searched for, and whether it met it; `closest` marks a best-effort output. */
  budget?: { text: string; pass: boolean; closest: boolean };
}

/** sha256 over every weight of a LayersModel (see hashLayersWeights): what "same seed → same weights" is checked by. */
export const hashWeights = hashLayersWeights;

export function buildLineage(options: Omit<Lineage, 'shrinkml' | 'tfjs' | 'createdAt' | 'source' | 'sourceHash'> & {
  loaded: LoadedModel;
  out: string;
  absolutePaths?: boolean;
}): Lineage {
  return buildBase<Lineage>(options);
}

/**
 * The lineage beside a model.json, with `source` resolved to an absolute path (`sourceFound`: whether it is still
 * there), or undefined when there is none or it cannot be read.
 */
export function readLineage(descriptorPath: string): (Lineage & { file: string; sourceFound: boolean }) | undefined {
  const beside = path.join(path.dirname(descriptorPath), lineageFileName(descriptorPath, false));
  const file = existsSync(beside) ? beside : path.join(path.dirname(descriptorPath), LINEAGE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const lineage = JSON.parse(readFileSync(file, 'utf8')) as Lineage;
    if (typeof lineage?.source !== 'string') return undefined;
    const source = resolveRecordedPath(lineage.source, path.dirname(file));
    return { ...lineage, source, file, sourceFound: existsSync(source) };
  } catch {
    return undefined;
  }
}
