import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import { writeFilesAtomically, writeFolderAtomically, type OutputFile } from './atomic.js';
import { encodeWeights, splitShards } from './encode.js';
import { assertNotProtected } from './protect.js';
import type { SaveResult } from './registry.js';
import type { SaveOptions } from './types.js';

/**
 * Save a LayersModel in the TensorFlow.js format: a folder `out` (model.json + group1-shardIofN.bin), or, when
 * `out` ends in .json, that file with `<name>.bin` beside it. Atomic, never over the input model, never over an
 * existing output without `force`.
 */
export async function saveLayersModel(model: tf.LayersModel, out: string, options: SaveOptions = {}): Promise<SaveResult> {
  const target = path.resolve(out);
  const fileMode = /\.json$/i.test(target);
  const parent = fileMode ? path.dirname(target) : target;
  const stem = path.basename(target).replace(/\.json$/i, '');

  const artifacts = await captureArtifacts(model);
  const encoded = encodeWeights({
    entries: artifacts.weightSpecs ?? [],
    data: tf.io.concatenateArrayBuffers(artifacts.weightData ?? new ArrayBuffer(0)),
    encodings: options.weightEncodings,
  });
  const shards = splitShards(encoded.data, options.shardSizeBytes);
  const shardNames = shards.map((_, i) => fileMode
    ? (shards.length === 1 ? `${stem}.bin` : `${stem}.shard${i + 1}of${shards.length}.bin`)
    : `group1-shard${i + 1}of${shards.length}.bin`);
  const manifest: tf.io.WeightsManifestConfig = [{ paths: shardNames, weights: encoded.entries }];
  const modelJson = toModelJson(artifacts, manifest, options.shrinkml);

  const descriptorName = fileMode ? path.basename(target) : 'model.json';
  const files: OutputFile[] = [
    ...shards.map((content, i) => ({ name: shardNames[i], content })),
    ...extraFiles(options.extraFiles, [descriptorName, ...shardNames], target),
    // Last: in file mode it is renamed into place after its shards.
    { name: descriptorName, content: JSON.stringify(modelJson) },
  ];

  if (options.stage) {
    // Part of a larger output: the stage checked the destination and commits the set.
    await options.stage.write(files);
  } else {
    assertNotProtected(fileMode ? files.map((f) => path.join(parent, f.name)) : [target], options.protect);
    if (fileMode) await writeFilesAtomically({ parent, files, force: options.force, protect: options.protect });
    else await writeFolderAtomically({ dir: target, files, force: options.force, protect: options.protect });
  }

  return {
    modelJsonPath: path.join(parent, descriptorName),
    weightFiles: shardNames.map((n) => path.join(parent, n)),
    weightBytes: encoded.data.byteLength,
  };
}

/** The model.json layout tfjs writes (tfjs-core's getModelJSONForModelArtifacts, which tf.io does not export). */
function toModelJson(a: tf.io.ModelArtifacts, weightsManifest: tf.io.WeightsManifestConfig, shrinkml?: Record<string, unknown>) {
  const json: Record<string, unknown> = {
    modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy ?? null, weightsManifest,
  };
  for (const key of ['trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const) {
    if (a[key] != null) json[key] = a[key];
  }
  if (shrinkml) json.shrinkml = shrinkml;
  return json;
}

async function captureArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    captured = artifacts;
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
  if (!captured) throw new ShrinkmlError('INTERNAL', 'tfjs did not hand over the model artifacts while saving');
  return captured;
}

function extraFiles(extra: Record<string, unknown> | undefined, taken: string[], target: string): OutputFile[] {
  return Object.entries(extra ?? {}).map(([name, value]) => {
    // Plain file names only: an extra file must land in the output, nowhere else.
    if (!/^[\w][\w.-]*$/.test(name) || taken.includes(name)) {
      throw new ShrinkmlError('BAD_INPUT', `${target}: extra file name '${name}' is not allowed`, {
        subject: name, suggestion: 'use a plain file name (letters, digits, . _ -) other than model.json and the weight shards',
      });
    }
    let content: string | undefined;
    try {
      content = JSON.stringify(value, null, 2);
    } catch (e) {
      throw new ShrinkmlError('BAD_INPUT', `${target}: extra file '${name}' is not JSON-serialisable (${(e as Error).message})`, { subject: name, cause: e });
    }
    if (content === undefined) throw new ShrinkmlError('BAD_INPUT', `${target}: extra file '${name}' has no JSON value`, { subject: name });
    return { name, content: `${content}\n` };
  });
}
