import { decodeClusteredArtifacts } from '../cluster/format.js';
import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { classifyModelJson } from './manifest.js';
import { displayPath, readModel, sniffTfjs } from './read.js';
import type { FormatAdapter } from './registry.js';
import { saveLayersModel } from './save.js';
import type { LoadedLayersModel, LoadOptions } from './types.js';

/** TensorFlow.js LayersModel (model.json written by tfjs-layers, the Keras converter, or shrinkml). */
export const tfjsLayers: FormatAdapter = {
  name: 'tfjs-layers',
  canRead: async (p) => (await sniffTfjs(p)) === 'layers',
  read: (p, options) => loadLayers(p, options),
  write: saveLayersModel,
};

export async function loadLayers(source: string, options: LoadOptions = {}): Promise<LoadedLayersModel> {
  const read = await readModel(source, options);
  const file = displayPath(read.descriptor.descriptorPath);
  if (classifyModelJson(read.json) === 'graph') {
    throw new ShrinkmlError('BAD_INPUT', `${file}: is a graph model, not a layers model`, { subject: file, suggestion: 'load it with the tfjs-graph format' });
  }
  // Clustered weights (codebook + packed indices) are expanded to dense float32 before tfjs sees them.
  const model = await build(await decodeClusteredArtifacts(read.artifacts), file);
  return {
    kind: 'layers', source, descriptorPath: read.descriptor.descriptorPath, weightFiles: read.weightFiles,
    meta: read.meta, model, weightSpecs: read.weightSpecs,
  };
}

async function build(artifacts: tf.io.ModelArtifacts, file: string): Promise<tf.LayersModel> {
  // A failed build leaves the variables of the layers already constructed registered in the engine; dispose them.
  // tfjs builds the model synchronously after handler.load() resolves, so no other caller's variables appear here.
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    return await tf.loadLayersModel({ load: async () => artifacts });
  } catch (e) {
    for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) {
      if (!before.has(name)) variable.dispose();
    }
    throw explain(e, file);
  }
}

/** tfjs errors are multi-paragraph; keep the one fact that matters and name the file. */
function explain(e: unknown, file: string): ShrinkmlError {
  const message = e instanceof Error ? e.message : String(e);
  const unknown = /Unknown (layer|[\w ]+?): (\S+?)\.?(?:\s|$)/.exec(message);
  if (unknown) {
    const what = unknown[1] === 'layer' ? 'layer class' : unknown[1];
    return new ShrinkmlError('UNSUPPORTED', `${file}: unknown ${what} '${unknown[2]}'`, {
      subject: unknown[2], cause: e,
      suggestion: unknown[1] === 'layer'
        ? 'register the custom layer with tf.serialization.registerClass before loading, or replace it before export'
        : undefined,
    });
  }
  const firstLine = message.split('\n')[0].slice(0, 300);
  return new ShrinkmlError('BAD_INPUT', `${file}: cannot build the layers model (${firstLine})`, { subject: file, cause: e });
}
