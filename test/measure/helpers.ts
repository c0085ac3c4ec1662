import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedGraphModel, LoadedLayersModel } from '../../src/formats/types.js';

/** Dense 4→3→2 with weights set to known values (zeros counted in params.test.ts). */
export function knownDense(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 3, name: 'hidden' }),
      tf.layers.dense({ units: 2, name: 'out' }),
    ],
  });
  model.layers[0].setWeights([
    tf.tensor2d([1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 7], [4, 3]), // 5 zeros of 12
    tf.zeros([3]), // 3 zeros of 3
  ]);
  model.layers[1].setWeights([tf.ones([3, 2]), tf.tensor1d([0, 1])]); // 1 zero of 8
  return model;
}

/** A Dense layer y = k·x (kernel k·I, no bias): outputs are the inputs scaled, so metrics are hand-computable. */
export function scaledIdentity(n: number, k: number): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [n], units: n, useBias: false })] });
  model.layers[0].setWeights([tf.mul(tf.eye(n), k)]);
  return model;
}

function joinWeights(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

/**
 * Writes model.json plus its weights split into two shards and an unrelated README that must not count.
 * `zeroWeights` writes zero bytes instead of the real weights (for the gzip test; the manifest still matches).
 */
export async function writeLayersFolder(model: tf.LayersModel, zeroWeights = false): Promise<LoadedLayersModel & { bytes: { json: number; shards: number[] } }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const weights = joinWeights(artifacts!.weightData);
  const data = zeroWeights ? new Uint8Array(weights.length) : weights;
  const half = Math.floor(data.length / 2);
  const dir = mkdtempSync(join(tmpdir(), 'shrinkml-measure-'));
  const shards = [data.subarray(0, half), data.subarray(half)];
  const names = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
  const json = JSON.stringify({
    format: 'layers-model', generatedBy: 'test', convertedBy: null,
    modelTopology: artifacts!.modelTopology,
    weightsManifest: [{ paths: names, weights: artifacts!.weightSpecs }],
  });
  writeFileSync(join(dir, 'model.json'), json);
  names.forEach((n, i) => writeFileSync(join(dir, n), shards[i]));
  writeFileSync(join(dir, 'README.md'), 'not part of the model '.repeat(100));
  return {
    kind: 'layers', source: dir, descriptorPath: join(dir, 'model.json'), weightFiles: names.map((n) => join(dir, n)),
    meta: {}, model, weightSpecs: artifacts!.weightSpecs!,
    bytes: { json: Buffer.byteLength(json), shards: shards.map((s) => s.length) },
  };
}

/** A hand-written graph y = x·W (x: [?, 3], W: [3, 2] with 2 zeros), loaded as a real tf.GraphModel. */
const GRAPH_WEIGHTS = [1, 0, 0, 1, 2, 3];

function graphTopology() {
  const dim = (sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });
  return {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dim([-1, 3]) } } },
      { name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim([3, 2]) } } } },
      { name: 'y', op: 'MatMul', input: ['x', 'w'], attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } } },
    ],
    versions: { producer: 1 },
  };
}

/** A hand-written graph y = x·W (x: [?, 3], W: [3, 2] with 2 zeros), loaded as a real tf.GraphModel. */
export async function tinyGraph(): Promise<{ model: tf.GraphModel; weightSpecs: tf.io.WeightsManifestEntry[] }> {
  const weightSpecs: tf.io.WeightsManifestEntry[] = [{ name: 'w', shape: [3, 2], dtype: 'float32' }];
  const weightData = new Float32Array(GRAPH_WEIGHTS).buffer;
  const model = await tf.loadGraphModel({ load: async () => ({ modelTopology: graphTopology(), weightSpecs, weightData }) });
  return { model, weightSpecs };
}

/** tinyGraph written as a folder (model.json + one shard) and described as a LoadedGraphModel. */
export async function graphLoaded(): Promise<LoadedGraphModel> {
  const { model, weightSpecs } = await tinyGraph();
  const dir = mkdtempSync(join(tmpdir(), 'shrinkml-measure-graph-'));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({
    format: 'graph-model', modelTopology: graphTopology(), weightsManifest: [{ paths: ['w.bin'], weights: weightSpecs }],
  }));
  writeFileSync(join(dir, 'w.bin'), new Uint8Array(new Float32Array(GRAPH_WEIGHTS).buffer));
  return { kind: 'graph', source: dir, descriptorPath: join(dir, 'model.json'), weightFiles: [join(dir, 'w.bin')], meta: {}, model, weightSpecs };
}
