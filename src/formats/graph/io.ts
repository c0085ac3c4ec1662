import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { writeFilesAtomically, writeFolderAtomically, type OutputFile } from '../atomic.js';
import { splitShards } from '../encode.js';
import type { ModelJson } from '../manifest.js';
import { assertNotProtected } from '../protect.js';
import { displayPath, readModel, type ReadModel } from '../read.js';
import type { SaveResult } from '../registry.js';
import type { LoadOptions, OutputStage } from '../types.js';
import type { RewrittenGraph } from './rewrite.js';
import { weightRoles, type WeightRole } from './roles.js';
import { decodeGraphWeights, type GraphWeight } from './weights.js';

/** A graph model on disk, decoded for rewriting: its model.json, every weight's values, and each weight's role. */
export interface GraphFiles {
  file: string;
  descriptorPath: string;
  weightFiles: string[];
  json: ModelJson;
  weights: GraphWeight[];
  roles: Map<string, WeightRole>;
}

/** Reads with every check of formats/read.ts (sizes, paths, finite values); works with or without a `format` field. */
export async function readGraphFiles(source: string, options: LoadOptions = {}): Promise<GraphFiles> {
  return graphFilesOf(await readModel(source, options));
}

/** Decodes the weights of a model read by formats/read.ts and finds each one's role (throws on unrewritable ones). */
export function graphFilesOf(read: ReadModel): GraphFiles {
  const file = displayPath(read.descriptor.descriptorPath);
  const data = tf.io.concatenateArrayBuffers(read.artifacts.weightData ?? new ArrayBuffer(0));
  const weights = decodeGraphWeights(read.weightSpecs, data, file);
  const roles = weightRoles(read.json.modelTopology, new Map(weights.map((w) => [w.name, w.shape])), file);
  return { file, descriptorPath: read.descriptor.descriptorPath, weightFiles: read.weightFiles, json: read.json, weights, roles };
}

/** Default shard size: the 4 MB tensorflowjs_converter uses, so browsers cache the shards separately. */
export const GRAPH_SHARD_BYTES = 4 * 2 ** 20;

/**
 * Writes a rewritten graph as the folder `out` (model.json + group1-shardIofN.bin, plus any extra JSON files),
 * atomically, never over a protected path (the input model).
 */
export async function writeGraphFolder(o: {
  out: string; graph: RewrittenGraph; force?: boolean; protect?: string[]; shardSizeBytes?: number; extraFiles?: Record<string, unknown>;
  stage?: OutputStage;
}): Promise<SaveResult> {
  // Like saveLayersModel: a folder, or (out ending in .json) that file with its shards beside it.
  const target = path.resolve(o.out);
  const fileMode = /\.json$/i.test(target);
  const parent = fileMode ? path.dirname(target) : target;
  const stem = path.basename(target).replace(/\.json$/i, '');
  const shards = splitShards(o.graph.data, o.shardSizeBytes ?? GRAPH_SHARD_BYTES);
  const names = shards.map((_, i) => (fileMode ? (shards.length === 1 ? `${stem}.bin` : `${stem}.shard${i + 1}of${shards.length}.bin`) : `group1-shard${i + 1}of${shards.length}.bin`));
  const descriptorName = fileMode ? path.basename(target) : 'model.json';
  const json = { ...o.graph.json, weightsManifest: [{ paths: names, weights: o.graph.json.weightsManifest[0]!.weights }] };
  const files: OutputFile[] = [
    ...shards.map((content, i) => ({ name: names[i]!, content })),
    ...Object.entries(o.extraFiles ?? {}).map(([name, value]) => ({ name, content: `${JSON.stringify(value, null, 2)}\n` })),
    { name: descriptorName, content: JSON.stringify(json) },
  ];
  if (o.stage) {
    // Part of a larger output (compress): the stage checked the destination and commits the set.
    await o.stage.write(files);
  } else {
    assertNotProtected(fileMode ? files.map((f) => path.join(parent, f.name)) : [target], o.protect);
    if (fileMode) await writeFilesAtomically({ parent, files, force: o.force, protect: o.protect });
    else await writeFolderAtomically({ dir: target, files, force: o.force, protect: o.protect });
  }
  return { modelJsonPath: path.join(parent, descriptorName), weightFiles: names.map((n) => path.join(parent, n)), weightBytes: o.graph.data.byteLength };
}
