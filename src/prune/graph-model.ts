import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { applyMasks } from './masks.js';
import { weightMapTargets } from './targets.js';
import { masksForSpec, type UnstructuredOptions } from './unstructured.js';

async function artifactsOf(model: tf.GraphModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    captured = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!captured) throw new ShrinkmlError('INTERNAL', 'GraphModel.save produced no artifacts');
  return captured;
}

/**
 * Unstructured pruning of a GraphModel, weights only (there are no layers to rewrite): every float weight of rank
 * ≥ 2 is a candidate. Returns a NEW GraphModel with the same graph and pruned weights (stored float32).
 */
export async function pruneGraphModel(model: tf.GraphModel, options: UnstructuredOptions): Promise<tf.GraphModel> {
  const map: tf.NamedTensorMap = {};
  for (const [name, list] of Object.entries(model.weights)) {
    if (list.length !== 1) throw new ShrinkmlError('UNSUPPORTED', `graph weight '${name}' holds ${list.length} tensors; cannot prune it`, { subject: name });
    map[name] = list[0];
  }
  const targets = weightMapTargets(map, options.exclude);
  if (targets.length === 0) options.onWarn?.('graph model: no float weights of rank ≥ 2 to prune');
  applyMasks(targets, await masksForSpec(targets, options));
  const artifacts = await artifactsOf(model);
  const { data, specs } = await tf.io.encodeWeights(map);
  // Free the pruned copies; the originals still belong to `model`.
  for (const t of targets) if (map[t.name] !== model.weights[t.name][0]) map[t.name].dispose();
  return tf.loadGraphModelSync({ load: () => ({ ...artifacts, weightSpecs: specs, weightData: data }) }) as unknown as tf.GraphModel;
}
