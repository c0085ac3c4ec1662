import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import { disposeLoaded, loadModel } from '../formats/index.js';
import { parsePipelineConfig } from './config.js';
import { DataProvider } from './data.js';
import { hashModelFiles, hashWeights, resolveRecordedPath, type Lineage } from './lineage.js';
import { runPipeline } from './run.js';

export interface Reproduction {
  /** The hash the lineage recorded and the one the rerun produced. */
  recorded?: string;
  reproduced: string;
  matches: boolean;
  backend: string;
}

/**
 * Audits an output: reloads its source (refusing one whose files changed since), reruns the recorded pipeline with
 * the recorded seed, data settings and fallback levels, and compares the weights bit for bit. Same backend needed.
 */
export async function reproduceLineage(lineageFile: string): Promise<Reproduction> {
  let lineage: Lineage;
  try {
    lineage = JSON.parse(readFileSync(lineageFile, 'utf8')) as Lineage;
  } catch (e) {
    throw new ShrinkmlError('BAD_INPUT', `${lineageFile}: cannot read the lineage (${(e as Error).message})`, { subject: lineageFile, cause: e });
  }
  if (!lineage.config) throw new ShrinkmlError('BAD_INPUT', `${lineageFile}: records no pipeline config to rerun`, { subject: lineageFile });
  const config = parsePipelineConfig(lineage.config, `${lineageFile}: config`);
  // Recorded paths are relative to the lineage's folder (absolute ones resolve to themselves).
  const dir = path.dirname(path.resolve(lineageFile));
  const sourcePath = resolveRecordedPath(lineage.source, dir);
  const source = await loadModel(sourcePath);
  try {
    if (source.kind !== 'layers') throw new ShrinkmlError('UNSUPPORTED', `${sourcePath}: not a Layers model`, { subject: sourcePath });
    const hash = hashModelFiles(source);
    if (hash !== lineage.sourceHash) {
      throw new ShrinkmlError('BAD_INPUT', `${sourcePath}: has changed since ${lineageFile} was written (hash ${hash}, recorded ${lineage.sourceHash})`, {
        subject: sourcePath,
      });
    }
    const recordedData = lineage.data?.source;
    const dataSource = recordedData && /^(\.\.?\/|\/)/.test(recordedData) ? resolveRecordedPath(recordedData, dir) : recordedData;
    const data = new DataProvider(dataSource ? { source: dataSource, ...config.data } : undefined);
    const run = await runPipeline({ model: source.model, config, data, levels: lineage.levels });
    try {
      const reproduced = await hashWeights(run.model);
      return { recorded: lineage.weightsHash, reproduced, matches: reproduced === lineage.weightsHash, backend: tf.getBackend() };
    } finally {
      run.model.dispose();
    }
  } finally {
    disposeLoaded(source);
  }
}
