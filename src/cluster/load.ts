import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { displayPath, readModel } from '../formats/read.js';
import type { LoadedLayersModel, LoadOptions } from '../formats/types.js';
import { decodeWeightCodes } from '../formats/weight-codes.js';
import { decodeClusteredArtifacts, hasClusteredWeights } from './format.js';

/**
 * Node loader for a model whose weights may be clustered (codebook + index streams): read and validated by the
 * formats module, decoded here, built by tfjs. Plain models load too, so callers need not check first.
 * `weightBits` gives each clustered weight's index bits (for countParams / reports).
 */
export async function loadClusteredLayers(source: string, options: LoadOptions = {}): Promise<LoadedLayersModel & { weightBits: Record<string, number> }> {
  const read = await readModel(source, options);
  const file = displayPath(read.descriptor.descriptorPath);
  // int8/int4 weight codes (weights:int8|int4) decode here too: this is the loader compress measures outputs with.
  const decoded = decodeWeightCodes(await decodeClusteredArtifacts(read.artifacts));
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel({ load: async () => decoded });
  } catch (e) {
    throw new ShrinkmlError('BAD_INPUT', `${file}: cannot build the clustered model (${(e as Error).message.split('\n')[0]})`, { subject: file, cause: e });
  }
  const weightBits: Record<string, number> = {};
  if (hasClusteredWeights(read.weightSpecs)) {
    const info = (read.meta.shrinkml as { clustered?: { weights?: { name: string; bits: number }[] } } | undefined)?.clustered;
    for (const w of info?.weights ?? []) weightBits[w.name] = w.bits;
  }
  return {
    kind: 'layers', source, descriptorPath: read.descriptor.descriptorPath, weightFiles: read.weightFiles,
    meta: read.meta, model, weightSpecs: decoded.weightSpecs ?? read.weightSpecs, weightBits,
  };
}
