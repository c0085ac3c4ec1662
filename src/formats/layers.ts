import { decodeClusteredArtifacts } from '../cluster/format.js';
import * as tf from '@tensorflow/tfjs';
import { readAll, readValues } from '../core/read.js';
import { createHash } from 'node:crypto';
import { ShrinkmlError } from '../core/errors.js';
import { classifyModelJson } from './manifest.js';
import { displayPath, readModel, sniffTfjs } from './read.js';
import type { FormatAdapter, ModelRunner, WeightRef } from './registry.js';
import { saveLayersModel } from './save.js';
import { fromHost, tfjsValueInfo, toHost } from './tensors.js';
import type { LoadedLayersModel, LoadOptions, ValueInfo } from './types.js';

const KERNELS = /(^|\/)(kernel|depthwise_kernel|pointwise_kernel|embeddings|recurrent_kernel)(_\d+)?$/;
const BIASES = /(^|\/)bias(_\d+)?$/;
import { decodeWeightCodes } from './weight-codes.js';

/** TensorFlow.js LayersModel (model.json written by tfjs-layers, the Keras converter, or shrinkml). */
export const tfjsLayers: FormatAdapter<LoadedLayersModel> = {
  name: 'tfjs-layers',
  kind: 'layers',
  canRead: async (p) => (await sniffTfjs(p)) === 'layers',
  read: (p, options) => loadLayers(p, options),
  async clone(loaded) {
    return { ...loaded, meta: { ...loaded.meta }, model: await copyLayersModel(loaded.model) };
  },
  dispose(loaded) {
    disposeLayersModel(loaded.model);
  },
  inputs: (loaded) => loaded.model.inputs.map((t, i) => tfjsValueInfo(loaded.model.inputNames[i] ?? t.name, t.dtype, t.shape)),
  outputs: (loaded) => loaded.model.outputs.map((t, i) => tfjsValueInfo(loaded.model.outputNames[i] ?? t.name, t.dtype, t.shape)),
  runner: async (loaded) => layersRunner(loaded.model, tfjsLayers.inputs(loaded), tfjsLayers.outputs(loaded)),
  weights: (loaded) => layersWeights(loaded.model),
  write: (loaded, out, options) => saveLayersModel(loaded.model, out, options),
  hash: (loaded) => hashLayersWeights(loaded.model),
};

/** An independent LayersModel with the same topology and weights (no optimizer). */
export async function copyLayersModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const copy = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] });
  copy.setWeights(model.getWeights());
  return copy;
}

/** Disposes a model and the optimizer training attached to it (tfjs leaves an optimizer passed to compile alive). */
export function disposeLayersModel(model: tf.LayersModel): void {
  if (model.optimizer) {
    model.optimizer.dispose();
    model.optimizer = null as unknown as tf.Optimizer;
  }
  // tfjs throws on a second dispose; disposing twice is harmless here.
  try {
    model.dispose();
  } catch (e) {
    if (!/already disposed|disposed/i.test((e as Error).message)) throw e;
  }
}

/**
 * sha256 over every weight of a model (name, dtype, shape and bytes, in model order): equal hashes mean
 * bit-identical weights, which is what "same seed → same weights" promises.
 */
export async function hashLayersWeights(model: tf.LayersModel): Promise<string> {
  const hash = createHash('sha256');
  // Read without a synchronous read (none exists on tfjs-webgpu in Node: see core/read.ts).
  const all = await readAll<'float32' | 'int32'>(model.weights.map((w) => w.read()));
  for (const [k, w] of model.weights.entries()) {
    const values = all[k]!;
    hash.update(`${w.originalName}|${w.dtype}|${w.shape.join(',')}|`);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return `sha256:${hash.digest('hex')}`;
}

function layersWeights(model: tf.LayersModel): WeightRef[] {
  const refs: WeightRef[] = [];
  for (const layer of model.layers) {
    for (const v of layer.weights) {
      if (v.dtype !== 'float32') continue;
      const variable = v as unknown as { read(): tf.Tensor; write(t: tf.Tensor): void };
      refs.push({
        name: v.originalName, op: layer.getClassName(), node: layer.name, shape: v.shape as number[],
        role: KERNELS.test(v.originalName) ? 'kernel' : BIASES.test(v.originalName) ? 'bias' : 'other',
        read: async () => Float32Array.from(await readValues(variable.read())),
        write: (values) => tf.tidy(() => variable.write(tf.tensor(values, v.shape as number[], 'float32'))),
      });
    }
  }
  return refs;
}

function layersRunner(model: tf.LayersModel, inputs: ValueInfo[], outputs: ValueInfo[]): ModelRunner {
  return {
    runtime: `tfjs (${tf.getBackend()})`, inputs, outputs,
    async run(feeds) {
      // Keras auto-names (input_1, input_2, ...) change when a model is rebuilt; a single input takes the single feed.
      const only = inputs.length === 1 && Object.keys(feeds).length === 1 ? Object.values(feeds)[0] : undefined;
      const xs = inputs.map((i) => {
        const t = feeds[i.name] ?? only;
        if (!t) throw new ShrinkmlError('BAD_INPUT', `no value fed for model input '${i.name}'`, { subject: i.name });
        return fromHost(t, i.dtype);
      });
      const t0 = performance.now();
      try {
        const y = model.predict(xs.length === 1 ? xs[0]! : xs);
        const ys = Array.isArray(y) ? y : [y];
        const host = await Promise.all(ys.map(toHost));
        const ms = performance.now() - t0;
        tf.dispose(ys);
        return { outputs: Object.fromEntries(outputs.map((o, k) => [o.name, host[k]!])), ms };
      } finally {
        tf.dispose(xs);
      }
    },
    async dispose() {},
  };
}

export async function loadLayers(source: string, options: LoadOptions = {}): Promise<LoadedLayersModel> {
  const read = await readModel(source, options);
  const file = displayPath(read.descriptor.descriptorPath);
  if (classifyModelJson(read.json) === 'graph') {
    throw new ShrinkmlError('BAD_INPUT', `${file}: is a graph model, not a layers model`, { subject: file, suggestion: 'load it with the tfjs-graph format' });
  }
  // Clustered weights (codebook + packed indices) are expanded to dense float32 before tfjs sees them.
  // Weights stored as int8/int4 codes (weights:int8|int4) are multiplied back by their scales likewise.
  const model = await build(decodeWeightCodes(await decodeClusteredArtifacts(read.artifacts)), file);
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
