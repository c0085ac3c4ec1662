import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { displayPath, readModel, sniffTfjs } from './read.js';
import type { FormatAdapter } from './registry.js';
import type { LoadedGraphModel, LoadOptions } from './types.js';

/** TensorFlow.js GraphModel (tensorflowjs_converter output: `format: 'graph-model'`, GraphDef nodes). Read-only. */
export const tfjsGraph: FormatAdapter = {
  name: 'tfjs-graph',
  canRead: async (p) => (await sniffTfjs(p)) === 'graph',
  read: (p, options) => loadGraph(p, options),
};

export async function loadGraph(source: string, options: LoadOptions = {}): Promise<LoadedGraphModel> {
  const read = await readModel(source, options);
  const file = displayPath(read.descriptor.descriptorPath);
  const topology = read.json.modelTopology;
  if (!Array.isArray(topology.node)) throw new ShrinkmlError('BAD_INPUT', `${file}: graph model has no modelTopology.node list`, { subject: file });
  let model: tf.GraphModel | undefined;
  try {
    // Synchronous load inside tidy: on failure the decoded weight tensors are freed, on success they are returned
    // (and so kept) as the model's weights.
    tf.tidy(() => {
      const loaded = tf.loadGraphModelSync({ load: () => read.artifacts });
      model = loaded as unknown as tf.GraphModel;
      return Object.values(loaded.weights).flat();
    });
  } catch (e) {
    const firstLine = (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
    throw new ShrinkmlError('BAD_INPUT', `${file}: cannot build the graph model (${firstLine})`, { subject: file, cause: e });
  }
  return {
    kind: 'graph', source, descriptorPath: read.descriptor.descriptorPath, weightFiles: read.weightFiles,
    meta: read.meta, model: model!, weightSpecs: read.weightSpecs,
  };
}
