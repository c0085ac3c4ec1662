import * as tf from '@tensorflow/tfjs';
import { buildGraph, executeGraph } from '../formats/graph.js';
import { GRAPH_SHARD_BYTES, rewriteGraph, type EncodedGraphWeight, type GraphCalibration, type GraphFiles, type GraphWeight, type GraphWeightMode, type RewrittenGraph } from '../formats/graph/index.js';
import { isProbabilities } from '../measure/metrics/index.js';
import { sizeFromBytes, type NamedBytes } from '../measure/size.js';
import { sensitivityFallback } from './sensitivity-fallback.js';

/**
 * weights:int4's bit choice by measured sensitivity (#14): with calibration data, which int4 kernels to keep int8 per
 * channel is decided on the model's outputs rather than estimated per layer (formats/graph/bits.ts, which ranks by
 * each layer's own output error and misses how errors add up through 13–74 int4 layers). Every candidate kernel is
 * promoted alone from the all-int4 model (GPTQ + bias correction as written) and the worst output's fidelity over
 * the calibration inputs measured (`outputFidelity`: exp(−KL) for class probabilities, else cosine per sample); kernels are then kept int8 greedily by gain per extra gzip byte, each step verified
 * by a run, while the measured gzip ratio (model.json + shards, gzip -9, as the bench measures it) stays ≥
 * `minGzipRatio` (src/quantize/sensitivity-fallback.ts, the loop ONNX's weight fallback shares). The estimate's own
 * choice is measured too and kept if it does better (one verification pass), so this never loses to it.
 */
export interface GraphMixedBitsOptions {
  /** Worst output fidelity (`outputFidelity`) aimed for; the search stops early once reached. Default 0.99999 (spend the byte budget). */
  target?: number;
  /** gzip ratio against fp32 kept at or above this. Default 6.06 (#14's 6× with 1% for sharding and model.json paths). */
  minGzipRatio?: number;
}

export interface GraphMixedBitsReport {
  /** Worst output fidelity (`outputFidelity`) on the calibration inputs: all-int4, the estimate's choice, the choice kept. */
  int4: number;
  estimate: number;
  after: number;
  /** gzip ratio of the kept choice. */
  gzipRatio: number;
  chosen: 'measured' | 'estimate';
  int8Kernels: string[];
  /** Model runs over the calibration inputs. */
  runs: number;
}

type Trial = { graph: RewrittenGraph; gzip: number; cosine?: number };

export async function chooseGraphInt4Bits(o: {
  graph: GraphFiles; calibration: GraphCalibration; feeds: readonly tf.NamedTensorMap[]; options?: GraphMixedBitsOptions;
}): Promise<{ calibration: GraphCalibration; report: GraphMixedBitsReport }> {
  const g = o.graph;
  const minRatio = o.options?.minGzipRatio ?? 6.06;
  const fp32Bytes = g.weights.reduce((n, w) => n + (w.dtype === 'float32' ? w.shape.reduce((a, b) => a * b, 1) * 4 : 0), 0);
  const float = buildGraph(g.json, g.weights, g.file);
  let reference: Outputs;
  try { reference = await outputsOf(float, o.feeds); } finally { float.dispose(); }
  const cache = new WeakMap<GraphWeight, Map<GraphWeightMode, EncodedGraphWeight>>();
  let runs = 0;
  const rewrite = async (int8Kernels?: string[]): Promise<Trial> => {
    const graph = rewriteGraph({ json: g.json, weights: g.weights, roles: g.roles, mode: 'int4', file: g.file, calibration: { ...o.calibration, int8Kernels }, encodeCache: cache });
    return { graph, gzip: await gzipBytes(graph) };
  };
  const fidelity = async (t: Trial) => {
    if (t.cosine === undefined) {
      const model = tf.loadGraphModelSync({ load: () => tf.io.getModelArtifactsForJSONSync(t.graph.json as unknown as tf.io.ModelJSON, t.graph.json.weightsManifest[0]!.weights, t.graph.data.slice().buffer) }) as unknown as tf.GraphModel;
      try { t.cosine = outputFidelity(reference, await outputsOf(model, o.feeds)); } finally { model.dispose(); }
      runs++;
    }
    return t.cosine;
  };
  const ratio = (t: Trial) => fp32Bytes / t.gzip;
  const first = await rewrite([]);
  const candidates = first.graph.rows.filter((r) => r.scheme === 'int4-block' || r.scheme === 'int4-channel').map((r) => r.name);
  const single = new Map<string, number>();
  const measured = await sensitivityFallback({
    first, candidates, target: o.options?.target ?? 0.99999, minRatio, minGain: 1e-7,
    run: async (kept) => { const t = await rewrite([...kept]); if (kept.length === 1) single.set(kept[0]!, t.gzip); return t; },
    fidelity, ratio,
    cost: (key) => Math.max(64, (single.get(key) ?? first.gzip) - first.gzip),
  });
  const estimate = await rewrite(undefined);
  const estimateCosine = await fidelity(estimate);
  const useEstimate = estimateCosine > measured.after && ratio(estimate) >= minRatio;
  const int8Kernels = useEstimate ? candidates.filter((n) => estimate.graph.rows.find((r) => r.name === n)?.scheme === 'int8-channel') : measured.kept.map((k) => k.key);
  return {
    calibration: { ...o.calibration, int8Kernels },
    report: {
      int4: measured.before, estimate: estimateCosine, after: useEstimate ? estimateCosine : measured.after,
      gzipRatio: useEstimate ? ratio(estimate) : measured.ratio, chosen: useEstimate ? 'estimate' : 'measured', int8Kernels, runs,
    },
  };
}

/** gzip bytes of the folder writeGraphFolder would write (model.json and 4 MB shards, each compressed alone), sized in memory by the one measurement path. */
async function gzipBytes(g: RewrittenGraph): Promise<number> {
  const files: NamedBytes[] = [{ path: 'model.json', data: new TextEncoder().encode(JSON.stringify(g.json)) }];
  for (let at = 0; at < g.data.byteLength; at += GRAPH_SHARD_BYTES) files.push({ path: `shard@${at}`, data: g.data.subarray(at, at + GRAPH_SHARD_BYTES) });
  return (await sizeFromBytes(files)).gzipBytes;
}

type Outputs = { values: Float32Array; rows: number }[];

/** Every output of every feed, concatenated per output. execute() where the graph allows it (USE-lite does not). */
async function outputsOf(model: tf.GraphModel, feeds: readonly tf.NamedTensorMap[]): Promise<Outputs> {
  const parts: { values: Float32Array; rows: number }[][] = [];
  for (const feed of feeds) {
    const ys = await executeGraph(model, feed);
    const values = await Promise.all(ys.map(async (t) => ({ values: Float32Array.from(await t.data()), rows: t.rank > 1 ? t.shape[0]! : 1 })));
    tf.dispose(ys);
    values.forEach((v, i) => (parts[i] ??= []).push(v));
  }
  return parts.map((p) => {
    const values = new Float32Array(p.reduce((n, v) => n + v.values.length, 0));
    let at = 0;
    for (const v of p) { values.set(v.values, at); at += v.values.length; }
    return { values, rows: p.reduce((n, v) => n + v.rows, 0) };
  });
}

/**
 * The worst output's score, 1 = identical: exp(−mean KL) for rows of class probabilities (what top-1 agreement
 * follows; a cosine over probabilities is dominated by the confident rows), else the mean cosine per row (sample).
 */
export function outputFidelity(reference: Outputs, got: Outputs): number {
  let worst = 1;
  reference.forEach((r, o) => {
    const g = got[o]!.values;
    const cols = r.values.length / r.rows;
    let score = 0;
    if (cols > 1 && isProbabilities(r.values, r.rows, cols)) {
      let kl = 0;
      for (let i = 0; i < r.values.length; i++) { const p = r.values[i]!; if (p > 0) kl += p * Math.log(p / Math.max(g[i]!, 1e-12)); }
      score = Math.exp(-kl / r.rows);
    } else {
      for (let row = 0; row < r.rows; row++) {
        let dot = 0, a = 0, b = 0;
        for (let j = row * cols; j < (row + 1) * cols; j++) { dot += r.values[j]! * g[j]!; a += r.values[j]! ** 2; b += g[j]! ** 2; }
        score += (a === 0 && b === 0 ? 1 : dot / Math.sqrt(a * b || 1)) / r.rows;
      }
    }
    worst = Math.min(worst, score);
  });
  return worst;
}
