import type * as tf from '@tensorflow/tfjs';
import { loadClusteredLayers, saveClusteredModel } from '../cluster/index.js';
import { saveLayersModel, type SaveResult } from '../formats/index.js';
import type { LoadedLayersModel, SaveOptions } from '../formats/types.js';
// int8 layer classes must be registered before an int8 output is read back.
import '../runtime/index.js';
import type { OutputPlan } from './steps/types.js';

export interface WriteModelOptions extends Pick<SaveOptions, 'force' | 'protect' | 'extraFiles'> {
  model: tf.LayersModel;
  plan: OutputPlan;
  /** A folder, or a .json path for a single model.json + .bin pair. */
  out: string;
}

/** Saves a pipeline's model the way its steps asked (encodings, clustered codebooks, the shrinkml block). Atomic. */
export function writeModel(o: WriteModelOptions): Promise<SaveResult> {
  const options: SaveOptions = {
    force: o.force, protect: o.protect, extraFiles: o.extraFiles,
    weightEncodings: Object.keys(o.plan.encodings).length ? o.plan.encodings : undefined,
    shrinkml: Object.keys(o.plan.shrinkml).length ? o.plan.shrinkml : undefined,
  };
  return Object.keys(o.plan.clusters).length
    ? saveClusteredModel(o.model, o.out, o.plan.clusters, options)
    : saveLayersModel(o.model, o.out, options);
}

/**
 * Reads a written model back for measurement, exactly as a user would load it: clustered weights decoded, int8
 * layers on the shrinkml runtime. `weightBits` carries the stored bits of clustered and int8 weights.
 */
export function readModelBack(modelJsonPath: string): Promise<LoadedLayersModel & { weightBits: Record<string, number> }> {
  return loadClusteredLayers(modelJsonPath);
}
