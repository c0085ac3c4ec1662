import type * as tf from '@tensorflow/tfjs';
import { resolveBundledModel } from './bundled.js';
import { readModel } from './read.js';
import type { LoadOptions } from './types.js';

/**
 * A tfjs IOHandler reading a model folder (or its model.json) from disk, for Node, where plain `@tensorflow/tfjs`
 * has no `file://` handler (only `@tensorflow/tfjs-node` registers one):
 * `tf.loadLayersModel(fileIO('out/model'))` or `tf.loadGraphModel(fileIO('out/model'))`. It reads with shrinkml's
 * checks (size limits, weight paths inside the folder, shard lengths); wrap it in `withClusterDecoding` for
 * weight-clustered models. A bundled model's name works as with `loadModel`: `fileIO('mnist-lenet5')`.
 */
export function fileIO(source: string, options: LoadOptions = {}): tf.io.IOHandler {
  return { load: async () => (await readModel(resolveBundledModel(source), options)).artifacts };
}
