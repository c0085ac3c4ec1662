import * as tf from '@tensorflow/tfjs';
import { buildGraph, executeGraph, loadRewritten } from '../formats/graph.js';
import { GRAPH_SHARD_BYTES, rewriteGraph, type EncodedGraphWeight, type GraphCalibration, type GraphFiles, type GraphWeight, type RewrittenGraph } from '../formats/graph/index.js';
import { DEFAULT_WIDTH, type KernelWidth } from '../formats/graph/bits.js';
import { isProbabilities } from '../measure/metrics/index.js';
import { sizeFromBytes, type NamedBytes } from '../measure/size.js';
import { singleGains } from './sensitivity-fallback.js';
import type { ProgressFn } from '../core/progress.js';

/**
 * weights:int4's bit choice by measured sensitivity (#14): with calibration data, how wide each int4 kernel's codes
 * are (4-bit blocks of 32, a per-channel grid from 3.58 to 7 bits, or int8 per channel: bits.ts `KernelWidth`) is decided on the model's outputs rather than only
 * estimated per layer (formats/graph/bits.ts, whose per-layer errors miss how errors add up through 13–74 int4
 * layers). Every candidate kernel is promoted alone from the all-int4 model (GPTQ + bias correction as written) to
 * int8 and the worst output's fidelity over the calibration inputs measured (`outputFidelity`: exp(−KL) for class
 * probabilities, else cosine per sample) — its sensitivity (`singleGains`, the first half of
 * src/quantize/sensitivity-fallback.ts, which ONNX's weight fallback shares). bits.ts then allocates widths with each
 * kernel's per-layer error at every width scaled so that its 4 → 8 step predicts that measured gain, greedily by
 * gain per estimated gzip byte; the allocation's aim is moved until the measured gzip ratio (model.json + shards,
 * gzip -9, as the bench measures it) sits just at or above `minGzipRatio`. The estimate's own choice (no measured
 * weights) is fitted and measured the same way, and the better of the two on the calibration inputs is kept.
 */
export interface GraphMixedBitsOptions {
  /** Worst output fidelity (`outputFidelity`) aimed for: all-int4 is kept when it already reaches it. Default 0.99999. */
  target?: number;
  /** gzip ratio against fp32 kept at or above this. Default 6.03 (#14's 6× with ½% for sharding and model.json paths). */
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
  /** Kernels kept int8 per channel (also in `kernelWidths`). */
  int8Kernels: string[];
  /** The width of every int4 kernel not left in 4-bit blocks (formats/graph/bits.ts `KernelWidth`). */
  kernelWidths: Record<string, KernelWidth>;
  /** Model runs over the calibration inputs. */
  runs: number;
}

type Trial = { graph: RewrittenGraph; gzip: number; cosine?: number };

/** Fits of the allocation's aim to the measured gzip floor (each a rewrite and a gzip, no model run). */
const FIT_STEPS = 4;

export async function chooseGraphInt4Bits(o: {
  graph: GraphFiles; calibration: GraphCalibration; feeds: readonly tf.NamedTensorMap[]; options?: GraphMixedBitsOptions;
  /** Weights the int4 mode leaves as stored (the step's exclude): measured as they will be written. */
  keepStored?: ReadonlySet<string>;
  /** One event per kernel whose int4 → int8 gain is measured (a run of the model on the feeds each: most of the time). */
  onProgress?: ProgressFn;
}): Promise<{ calibration: GraphCalibration; report: GraphMixedBitsReport }> {
  const g = o.graph;
  const minRatio = o.options?.minGzipRatio ?? 6.03;
  const fp32Bytes = g.weights.reduce((n, w) => n + (w.dtype === 'float32' ? w.shape.reduce((a, b) => a * b, 1) * 4 : 0), 0);
  const float = buildGraph(g.json, g.weights, g.file);
  let reference: Outputs;
  try { reference = await outputsOf(float, o.feeds); } finally { float.dispose(); }
  const cache = new WeakMap<GraphWeight, Map<string, EncodedGraphWeight>>();
  let runs = 0;
  const base: GraphCalibration = { ...o.calibration };
  delete base.kernelWidths;
  delete base.sensitivity;
  const rewrite = async (calibration: GraphCalibration, int4Target?: number): Promise<Trial> => {
    const graph = rewriteGraph({ json: g.json, weights: g.weights, roles: g.roles, mode: 'int4', file: g.file, calibration, encodeCache: cache, int4Target, keepStored: o.keepStored });
    return { graph, gzip: await gzipBytes(graph) };
  };
  const fidelity = async (t: Trial) => {
    if (t.cosine === undefined) {
      const model = loadRewritten(t.graph);
      try { t.cosine = outputFidelity(reference, await outputsOf(model, o.feeds)); } finally { model.dispose(); }
      runs++;
    }
    return t.cosine;
  };
  const ratio = (t: Trial) => fp32Bytes / t.gzip;
  const first = await rewrite({ ...base, kernelWidths: {} });
  const candidates = first.graph.rows.filter((r) => r.scheme === 'int4-block' || r.scheme === 'int4-channel').map((r) => r.name);
  const before = await fidelity(first);
  const done = (t: Trial, chosen: 'measured' | 'estimate', estimate: number) => {
    const kernelWidths = Object.fromEntries(Object.entries(t.graph.widths ?? {}).filter(([, w]) => w !== DEFAULT_WIDTH));
    return {
      calibration: { ...base, kernelWidths },
      report: {
        int4: before, estimate, after: t.cosine!, gzipRatio: ratio(t), chosen, runs, kernelWidths,
        int8Kernels: Object.keys(kernelWidths).filter((k) => kernelWidths[k] === '8/channel'),
      },
    };
  };
  if (before >= (o.options?.target ?? 0.99999) || ratio(first) < minRatio) return done(first, 'measured', before);
  let probed = 0;
  const gains = await singleGains({
    candidates, before, minRatio: 0, ratio,
    fidelity: async (t) => {
      const f = await fidelity(t);
      o.onProgress?.({ phase: 'int4 sensitivity', done: ++probed, total: candidates.length });
      return f;
    },
    run: (kept) => rewrite({ ...base, kernelWidths: Object.fromEntries(kept.map((k) => [k, '8/channel' as const])) }),
  });
  const sensitivity = Object.fromEntries(candidates.map((k) => [k, gains.find((x) => x.key === k)?.gain ?? 0]));
  const measured = await fitted((aim) => rewrite({ ...base, sensitivity }, aim), ratio, minRatio);
  const estimate = await fitted((aim) => rewrite(base, aim), ratio, minRatio);
  const [m, e] = [await fidelity(measured), await fidelity(estimate)];
  return e > m ? done(estimate, 'estimate', e) : done(measured, 'measured', e);
}

/**
 * The allocation whose measured gzip ratio is closest above `minRatio`: the estimate's aim (bits.ts's target) is
 * scaled by the measured miss, a few times; the best passing trial is kept (the all-4-bit one if none passes).
 */
async function fitted(rewrite: (aim: number) => Promise<Trial>, ratio: (t: Trial) => number, minRatio: number): Promise<Trial> {
  let aim = minRatio;
  let best: Trial | undefined;
  let widest: Trial | undefined;
  for (let step = 0; step < FIT_STEPS; step++) {
    const t = await rewrite(aim);
    const r = ratio(t);
    if (r >= minRatio && (!best || r < ratio(best))) best = t;
    if (!widest || r > ratio(widest)) widest = t;
    if (r >= minRatio && r < minRatio * 1.003) break;
    // Bytes scale as 1 / aim: aim at the floor (a hair above it when below, so the next step lands inside).
    aim *= r >= minRatio ? minRatio / r : (minRatio * 1.001) / r;
  }
  return best ?? widest!;
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
