import * as tf from '@tensorflow/tfjs';
import { saveLayersModel } from '../formats/save.js';
import type { SaveResult } from '../formats/registry.js';
import type { SaveOptions } from '../formats/types.js';
import { CLUSTER_FORMAT_VERSION, chooseEncoding, encodeClusteredWeights } from './format.js';
import type { ClusteredWeight } from './share.js';

/** What model.json's `shrinkml.clustered` block says (for people and `inspect`; decoding does not need it). */
export interface ClusteredSummary {
  version: number;
  weights: { name: string; shape: number[]; codes: number; bits: number; encoding: 'dense' | 'sparse'; zeroCode: boolean }[];
}

export function clusteredSummary(clusters: Record<string, ClusteredWeight>): ClusteredSummary {
  return {
    version: CLUSTER_FORMAT_VERSION,
    weights: Object.values(clusters).map((w) => ({
      name: w.name, shape: w.shape, codes: w.codebook.length, bits: w.bits, encoding: chooseEncoding(w), zeroCode: w.zeroCode,
    })),
  };
}

/**
 * Saves with the formats module (atomic, protected input, extra files) after swapping each clustered weight for
 * its codebook and index stream. saveLayersModel reads a model only through `save(handler)`, so a thin stand-in
 * that rewrites the artifacts on their way is enough; no second writer.
 */
export async function saveClusteredModel(model: tf.LayersModel, out: string, clusters: Record<string, ClusteredWeight>, options: SaveOptions = {}): Promise<SaveResult> {
  const standIn = {
    save: (handler: tf.io.IOHandler) => model.save(tf.io.withSaveHandler(async (artifacts) => {
      const encoded = await encodeClusteredWeights({
        specs: artifacts.weightSpecs ?? [], data: tf.io.concatenateArrayBuffers(artifacts.weightData ?? new ArrayBuffer(0)), clusters,
      });
      return handler.save!({ ...artifacts, weightSpecs: encoded.specs, weightData: encoded.data });
    })),
  } as unknown as tf.LayersModel;
  const shrinkml = Object.keys(clusters).length ? { ...options.shrinkml, clustered: clusteredSummary(clusters) } : options.shrinkml;
  return saveLayersModel(standIn, out, { ...options, shrinkml });
}
