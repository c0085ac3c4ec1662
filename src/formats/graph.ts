import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import { displayPath, readModel, sniffTfjs } from './read.js';
import { createHash } from 'node:crypto';
import type { FormatAdapter, ModelRunner, WeightRef } from './registry.js';
import { graphFilesOf, writeGraphFolder } from './graph/io.js';
import { rewriteGraph, type RewrittenGraph } from './graph/rewrite.js';
import { GRAPH_INT8_OPS } from '../runtime/graph-format.js';
import { registerGraphInt8Ops } from '../runtime/graph-ops.js';
import type { GraphWeight } from './graph/weights.js';
import type { ModelJson } from './manifest.js';
import { fromHost, tensorList, tfjsValueInfo, toHost } from './tensors.js';
import type { LoadedGraphModel, LoadOptions, ValueInfo } from './types.js';

/**
 * TensorFlow.js GraphModel (tensorflowjs_converter output, with or without `format: 'graph-model'`). The view keeps
 * the decoded model.json and weights (`graph`); weight steps edit those values through `weights()`, a weight mode
 * sets `storage`, and `runner`/`write` rebuild the graph from them (src/formats/graph: int8/int4 kernels become
 * codes × scales through inserted Mul nodes, loadable by stock tf.loadGraphModel).
 */
export const tfjsGraph: FormatAdapter<LoadedGraphModel> = {
  name: 'tfjs-graph',
  kind: 'graph',
  canRead: async (p) => (await sniffTfjs(p)) === 'graph',
  read: (p, options) => loadGraph(p, options),
  async clone(loaded) {
    const graph = { ...loaded.graph, weights: loaded.graph.weights.map((w) => ({ ...w, values: w.values ? w.values.slice() : null })) };
    return { ...loaded, meta: { ...loaded.meta }, graph, model: buildGraph(loaded.graph.json, graph.weights, loaded.graph.file) };
  },
  dispose(loaded) {
    loaded.model.dispose();
  },
  inputs: (loaded) => loaded.model.inputs.map((t) => tfjsValueInfo(t.name, t.dtype, t.shape)),
  outputs: (loaded) => loaded.model.outputs.map((t) => tfjsValueInfo(t.name, t.dtype, t.shape)),
  async runner(loaded) {
    // The graph as it would be written now (edited weights, storage applied), so measurement sees what is shipped.
    const written = rewritten(loaded);
    // Static int8 graphs hold shrinkml's int8 ops: registered as `import 'shrinkml/runtime'` would.
    if (loaded.staticInt8) registerGraphInt8Ops();
    const model = loadRewritten(written);
    const runner = graphRunner(model, tfjsGraph.inputs(loaded), tfjsGraph.outputs(loaded));
    return { ...runner, dispose: async () => model.dispose() };
  },
  weights: (loaded) => graphWeightRefs(loaded),
  write: (loaded, out, options = {}) => {
    const written = rewritten(loaded, options.onProgress);
    const graph = { ...written, json: options.shrinkml ? { ...written.json, shrinkml: options.shrinkml } : written.json };
    return writeGraphFolder({ out, graph, force: options.force, protect: options.protect, shardSizeBytes: options.shardSizeBytes, extraFiles: options.extraFiles, stage: options.stage });
  },
  async hash(loaded) {
    const hash = createHash('sha256');
    for (const w of loaded.graph.weights) {
      hash.update(`${w.name}|${w.dtype}|${w.shape.join(',')}|`);
      hash.update(w.values ? new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength) : w.raw);
    }
    return `sha256:${hash.digest('hex')}`;
  },
};

/** The last rewrite of each graph, with what it was made from (`rewritten`). */
const REWRITES = new WeakMap<LoadedGraphModel['graph'], { from: unknown[]; graph: RewrittenGraph }>();

/**
 * The graph as the view would write it, rewritten once per state of the view: compress stages a graph model twice
 * (once more with the measured metrics in its lineage) and measures it in between, and a weights:int4 rewrite with
 * its scale search and bit choice takes tens of seconds on a real model (blazepose-lite 28 s), so the second write
 * reuses the first's bytes. The state is every input of rewriteGraph by identity — a weight step replaces a
 * weight's `values` array (graphWeightRefs' write, the pruning and clustering passes), never edits it in place — and
 * the lineage (`shrinkml`) is added by the caller.
 */
function rewritten(loaded: LoadedGraphModel, onProgress?: ProgressFn): RewrittenGraph {
  const g = loaded.graph;
  const from = [g.json, g.roles, loaded.storage, loaded.staticInt8, loaded.calibration, ...[...loaded.keepStored ?? []], ...g.weights.flatMap((w) => [w, w.values, w.raw, w.entry, w.dtype, w.stored])];
  const last = REWRITES.get(g);
  if (last && last.from.length === from.length && last.from.every((v, i) => v === from[i])) return last.graph;
  const graph = rewriteGraph({ json: g.json, weights: g.weights, roles: g.roles, mode: loaded.storage, file: g.file, staticInt8: loaded.staticInt8, calibration: loaded.calibration, keepStored: loaded.keepStored, onProgress });
  REWRITES.set(g, { from, graph });
  return graph;
}

/** Float weights as WeightRefs: kernels are conv/matmul/depthwise filters and embedding tables (see graph/roles.ts). */
function graphWeightRefs(loaded: LoadedGraphModel): WeightRef[] {
  return loaded.graph.weights.filter((w) => w.values instanceof Float32Array).map((w) => {
    const role = loaded.graph.roles.get(w.name)!;
    const reader = role.readers[0] ?? 'Const:' + w.name;
    return {
      name: w.name, op: reader.split(':')[0]!, node: reader.slice(reader.indexOf(':') + 1), shape: w.shape,
      role: role.kind !== 'other' ? 'kernel' : w.shape.length === 1 ? 'bias' : 'other',
      read: async () => (w.values as Float32Array).slice(),
      write(values: Float32Array) {
        if (values.length !== w.values!.length) {
          throw new ShrinkmlError('BAD_INPUT', `graph weight '${w.name}': ${values.length} values for ${w.values!.length}`, { subject: w.name });
        }
        w.values = Float32Array.from(values);
      },
    };
  });
}

/** A rewritten graph as stock tfjs loads it, in memory (what the written files give tf.loadGraphModel). */
export function loadRewritten(graph: RewrittenGraph): tf.GraphModel {
  return tf.loadGraphModelSync({ load: () => tf.io.getModelArtifactsForJSONSync(graph.json as unknown as tf.io.ModelJSON, graph.json.weightsManifest[0]!.weights, graph.data.slice().buffer) }) as unknown as tf.GraphModel;
}

/** A tf.GraphModel over weights as they are (float32 in memory), for running the view itself (and calibrating it). */
export function buildGraph(json: ModelJson, weights: GraphWeight[], file: string): tf.GraphModel {
  const graph = rewriteGraph({ json, weights, roles: new Map(weights.map((w) => [w.name, { kind: 'other', channelAxes: [], reduceAxes: [], readers: [] }])), mode: 'float32', file });
  try {
    return loadRewritten(graph);
  } catch (e) {
    const firstLine = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
    throw new ShrinkmlError('BAD_INPUT', `${file}: cannot build the graph model (${firstLine})`, { subject: file, cause: e });
  }
}

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
        const ys = await executeGraph(model, named, names);
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
  // A static int8 graph (shrinkml's int8 ops) loads as after `import 'shrinkml/runtime'`.
  if ((topology.node as { op?: string }[]).some((n) => Object.values(GRAPH_INT8_OPS).includes(n.op as never))) registerGraphInt8Ops();
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
  let graph;
  try {
    graph = graphFilesOf(read);
  } catch (e) {
    model!.dispose();
    throw e;
  }
  return {
    kind: 'graph', source, descriptorPath: read.descriptor.descriptorPath, weightFiles: read.weightFiles,
    meta: read.meta, model: model!, weightSpecs: read.weightSpecs,
    graph,
  };
}

// Graphs with control flow or dynamic shapes refuse execute(); remember them instead of failing once per call.
const needsAsync = new WeakSet<object>();

/**
 * One run of a graph model: `execute` where the graph allows it (synchronous, and no tfjs warning that the graph has
 * no control flow), `executeAsync` for graphs with control flow or dynamic ops. The caller disposes the outputs.
 */
export async function executeGraph(model: tf.GraphModel, feed: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap,
  names?: string[]): Promise<tf.Tensor[]> {
  if (!needsAsync.has(model)) {
    try {
      return tensorList(model.execute(feed, names));
    } catch (e) {
      if (!/executeAsync/.test((e as Error).message)) throw e;
      needsAsync.add(model);
    }
  }
  return tensorList(await model.executeAsync(feed, names));
}
