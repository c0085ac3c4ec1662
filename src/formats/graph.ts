import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { displayPath, readModel, sniffTfjs } from './read.js';
import type { FormatAdapter, ModelRunner } from './registry.js';
import { fromHost, tfjsValueInfo, toHost } from './tensors.js';
import type { LoadedGraphModel, LoadOptions, ValueInfo } from './types.js';

function notYet(what: string): never {
  throw new ShrinkmlError('UNSUPPORTED', `tfjs graph models: ${what} is not implemented yet`, { subject: 'tfjs-graph' });
}

/**
 * TensorFlow.js GraphModel (tensorflowjs_converter output: `format: 'graph-model'`, GraphDef nodes). Reads and
 * runs; the editing half of the adapter (clone, weights, write, hash) is the graph-model work's.
 */
export const tfjsGraph: FormatAdapter<LoadedGraphModel> = {
  name: 'tfjs-graph',
  kind: 'graph',
  canRead: async (p) => (await sniffTfjs(p)) === 'graph',
  read: (p, options) => loadGraph(p, options),
  clone: async () => notYet('compression (clone)'),
  dispose(loaded) {
    loaded.model.dispose();
  },
  inputs: (loaded) => loaded.model.inputs.map((t) => tfjsValueInfo(t.name, t.dtype, t.shape)),
  outputs: (loaded) => loaded.model.outputs.map((t) => tfjsValueInfo(t.name, t.dtype, t.shape)),
  runner: async (loaded) => graphRunner(loaded.model, tfjsGraph.inputs(loaded), tfjsGraph.outputs(loaded)),
  weights: () => notYet('weight editing'),
  write: async () => notYet('writing'),
  hash: () => notYet('hashing'),
};

function graphRunner(model: tf.GraphModel, inputs: ValueInfo[], outputs: ValueInfo[]): ModelRunner {
  return {
    runtime: `tfjs (${tf.getBackend()})`, inputs, outputs,
    async run(feeds) {
      const named: tf.NamedTensorMap = {};
      for (const i of inputs) {
        const t = feeds[i.name];
        if (!t) throw new ShrinkmlError('BAD_INPUT', `no value fed for model input '${i.name}'`, { subject: i.name });
        named[i.name] = fromHost(t, i.dtype);
      }
      const t0 = performance.now();
      try {
        const names = outputs.map((o) => o.name);
        // Graphs with control flow refuse execute(); executeAsync runs them all.
        const y = await model.executeAsync(named, names);
        const ys = Array.isArray(y) ? y : [y];
        const host = await Promise.all(ys.map(toHost));
        const ms = performance.now() - t0;
        tf.dispose(ys);
        return { outputs: Object.fromEntries(names.map((n, k) => [n, host[k]!])), ms };
      } finally {
        tf.dispose(Object.values(named));
      }
    },
    async dispose() {},
  };
}

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
