import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import { classifyModelJson, parseModelJson, type ManifestEntry, type ModelJson } from './manifest.js';
import { findDescriptor, readDescriptorText, readShards, shardPath, shardSizes, type Descriptor } from './node-io.js';
import { rememberLoadedSource } from './protect.js';
import type { LoadOptions } from './types.js';
import { checkFinite, checkGroupBytes, checkSizeLimits, expectedGroupBytes } from './validate.js';

/**
 * model.json + shards → validated tfjs ModelArtifacts, shared by the layers and graph adapters. Every check runs
 * before tfjs touches the data, cheapest first: JSON, declared sizes, shard presence and sizes, then the values.
 */
export interface ReadModel {
  descriptor: Descriptor;
  json: ModelJson;
  artifacts: tf.io.ModelArtifacts;
  weightSpecs: ManifestEntry[];
  weightFiles: string[];
  meta: Record<string, unknown>;
}

/** How a path appears in messages: relative when under the working folder, absolute otherwise. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

export async function readModel(source: string, options: LoadOptions = {}): Promise<ReadModel> {
  const descriptor = await findDescriptor(source);
  if (!descriptor) {
    throw new ShrinkmlError('BAD_INPUT', `${source}: not a TensorFlow.js model (expected a folder with model.json, or a .json file)`, {
      subject: source,
    });
  }
  const file = displayPath(descriptor.descriptorPath);
  const json = parseModelJson(await readDescriptorText(descriptor.descriptorPath), file);
  checkSizeLimits(json.weightsManifest, file);

  const groupFiles = json.weightsManifest.map((g) => g.paths.map((p) => shardPath(descriptor.dir, p, file)));
  const groupSizes = await Promise.all(groupFiles.map((files) => shardSizes(files, file)));
  json.weightsManifest.forEach((group, i) => checkGroupBytes({ group, shardBytes: groupSizes[i], file }));

  const weightFiles = groupFiles.flat();
  const data = await readShards(weightFiles, groupSizes.flat());
  let at = 0;
  json.weightsManifest.forEach((group, i) => {
    const bytes = groupSizes[i].reduce((a, b) => a + b, 0);
    // Groups with string weights can only be measured from their data.
    if (expectedGroupBytes(group) === null) checkGroupBytes({ group, shardBytes: groupSizes[i], data: data.slice(at, at + bytes), file });
    at += bytes;
  });

  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  checkFinite({
    entries: weightSpecs, data, file, allowNonFinite: options.allowNonFinite, allowInfinity: classifyModelJson(json) === 'graph', onWarn: options.onWarn,
  });
  // Remembered before tfjs builds the model: whatever happens next, a later save must not overwrite these files.
  rememberLoadedSource([...(descriptor.isFolder ? [descriptor.dir] : []), descriptor.descriptorPath, ...weightFiles]);
  const artifacts = tf.io.getModelArtifactsForJSONSync(json as unknown as tf.io.ModelJSON, weightSpecs, data);
  return { descriptor, json, artifacts, weightSpecs, weightFiles, meta: describe(json, weightSpecs) };
}

function describe(json: ModelJson, specs: ManifestEntry[]): Record<string, unknown> {
  const weightDtypes: Record<string, number> = {};
  for (const s of specs) {
    const stored = s.quantization?.dtype ?? s.dtype;
    weightDtypes[stored] = (weightDtypes[stored] ?? 0) + 1;
  }
  const meta: Record<string, unknown> = {
    format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, weightDtypes,
  };
  if (json.shrinkml !== undefined) meta.shrinkml = json.shrinkml;
  if (json.userDefinedMetadata !== undefined) meta.userDefinedMetadata = json.userDefinedMetadata;
  return meta;
}

/**
 * Which TensorFlow.js flavour a path holds, for the adapters' canRead: null when it is not a model.json at all.
 * Unparseable JSON counts as 'layers' so that adapter reports the malformed file instead of "unrecognised format".
 */
export async function sniffTfjs(source: string): Promise<'layers' | 'graph' | null> {
  const descriptor = await findDescriptor(source).catch(() => null);
  if (!descriptor) return null;
  try {
    return classifyModelJson(JSON.parse(await readDescriptorText(descriptor.descriptorPath)));
  } catch {
    return 'layers';
  }
}
