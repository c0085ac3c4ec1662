/**
 * int8 vs fp32 per model (issue 18): tfjs-wasm (XNNPACK) fp32, shrinkml static int8 layer by layer, and the fused
 * int8 path (runtime/fused.ts), at batch 1 and 64, with MNIST test accuracy; anchors in the same run where
 * installed: onnxruntime-node and onnxruntime-web (wasm) on the same model's fp32 and static QDQ int8 ONNX export,
 * and PyTorch's static int8 (Debian python3-torch, through the yardstick). A table, not a timed test.
 *   npm run build && node dist/bench/int8-models.js [--models mnist-lenet5,mnist-lenet-300-100] [--threads 1,2]
 *     [--rounds 9] [--round-ms 60] [--test-limit N] [--calib-samples 512] [--anchors ort-node,ort-web,pytorch]
 *     [--graph-fp32 DIR --graph-int8 DIR [--graph-inputs x.npy]] [--mobilenet <real-models cache> [--mobilenet-samples 100]]
 *     [--batches 1,64] [--out bench/results/int8-models.md]
 * Targets: int8 ≥ 2× faster than fp32 at batch 64 and ≥ 1.3× at batch 1, per model.
 * Run it alone on a quiet machine: variants are timed in interleaved rounds (median), so a burst of load hits all.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerKernels, setKernelThreads, kernelThreads } from '../kernels/index.js';
import { loadData, loadImageFolder, type Dataset } from '../src/data/index.js';
import { readGraphFiles, rewriteGraph } from '../src/formats/graph/index.js';
import { calibrateGraphInt8 } from '../src/quantize/graph-static.js';
import { loadModel } from '../src/formats/index.js';
import { decodeOnnx, graphInputs } from '../src/formats/onnx/decode.js';
import { encodeOnnx } from '../src/formats/onnx/write.js';
import { calibrateOnnx } from '../src/onnx/calibrate.js';
import { onnxAccuracy } from './onnx-predict.js';
import { foldBatchNorms } from '../src/onnx/fold.js';
import type { OnnxRuntime, OnnxSession } from '../src/onnx/ort.js';
import { createSession } from '../src/onnx/runtime.js';
import { webRuntime } from '../src/onnx/runtime-web.js';
import { quantizeStatic } from '../src/onnx/static.js';
import { runYardstick } from '../src/pipeline/yardstick/index.js';
import { runQuantizeStep } from '../src/quantize/index.js';
import { planFusedInt8, predictInt8, setInt8Execution } from '../src/runtime/index.js';
import { evaluateAccuracy } from '../src/train/index.js';
import { benchArgs } from './args.js';
import { writeGenerated } from './write-results.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** A timed variant: `run(batch)` does one forward pass and waits for its output. */
interface Variant { name: string; threads: number; run: (batch: number) => Promise<void>; accuracy?: number; note?: string }

interface Row { model: string; variant: string; threads: number; b1: number; b64: number; accuracy?: number; note?: string }

/** Median ms per run of each variant at one batch size, in interleaved rounds. */
async function latencies(variants: Variant[], batch: number, rounds: number, roundMs: number): Promise<number[]> {
  for (const v of variants) for (let i = 0; i < 5; i++) await v.run(batch);
  const times: number[][] = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, v] of variants.entries()) {
      if (v.threads !== kernelThreads()) await setKernelThreads(v.threads);
      let reps = 0;
      const start = performance.now();
      while (performance.now() - start < roundMs || reps < 3) { await v.run(batch); reps++; }
      times[i]!.push((performance.now() - start) / reps);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

/** MNIST-like input of `batch` samples, deterministic. */
function input(shape: number[], batch: number): Float32Array {
  return Float32Array.from({ length: batch * shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 255) / 255);
}

function tfjsVariant(name: string, threads: number, sample: number[], predict: (x: tf.Tensor) => tf.Tensor | tf.Tensor[]): Variant {
  const inputs = new Map<number, tf.Tensor>();
  return {
    name, threads,
    run: async (batch) => {
      let x = inputs.get(batch);
      if (!x) inputs.set(batch, x = tf.tensor(input(sample, batch), [batch, ...sample]));
      const y = predict(x);
      (Array.isArray(y) ? y[0]! : y).dataSync();
      tf.dispose(y);
    },
  };
}

function onnxVariant(name: string, threads: number, session: OnnxSession, inputName: string, sample: number[]): Variant {
  return {
    name, threads,
    run: async (batch) => { await session.run({ [inputName]: { data: input(sample, batch), dims: [batch, ...sample] } }); },
  };
}

/** onnxruntime-node sessions as OnnxSessions (createSession gives the raw onnxruntime-node session). */
async function nodeSession(bytes: Uint8Array, threads: number): Promise<OnnxSession> {
  const s = await createSession(bytes, { threads });
  return {
    inputNames: s.inputNames, outputNames: s.outputNames,
    run: async (feeds) => {
      const { Tensor } = await import('onnxruntime-node');
      const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor('float32', v.data as Float32Array, v.dims)])));
      for (const t of Object.values(out)) t.dispose?.();
      return {};
    },
    release: () => s.release(),
  };
}

interface Options {
  threads: number[]; rounds: number; roundMs: number; batches: number[]; test: Dataset; calibration: Dataset; anchors: Set<string>;
  webRuntimes: Map<number, OnnxRuntime>;
}

async function benchModel(name: string, o: Options): Promise<Row[]> {
  const fp32 = (await loadModel(join('models', name))).model as tf.LayersModel;
  const sample = (fp32.inputs[0]!.shape as number[]).slice(1);
  const step = await runQuantizeStep({ model: fp32, spec: 'static', calibration: o.calibration, calibSamples: o.calibration.count });
  const int8 = step.model;
  const plan = planFusedInt8(int8);
  log(`${name}: fused plan ${plan ? plan.steps.map((s) => s.kind).join(' → ') : 'none'}`);
  const variants: Variant[] = [];
  const accuracy = new Map<string, number>();
  accuracy.set('tfjs-wasm fp32', await evaluateAccuracy(fp32, o.test));
  setInt8Execution('kernel');
  accuracy.set('shrinkml int8 layer by layer', await evaluateAccuracy(int8, o.test));
  accuracy.set('shrinkml int8 fused', await evaluateAccuracy({ predict: (x) => predictInt8(int8, x), inputs: int8.inputs }, o.test));
  for (const threads of o.threads) {
    // tfjs-backend-wasm is single-threaded in Node (tfjs issue 3830): its fp32 row is the same at every count.
    variants.push(tfjsVariant('tfjs-wasm fp32', threads, sample, (x) => fp32.predict(x)));
    variants.push(tfjsVariant('shrinkml int8 layer by layer', threads, sample, (x) => int8.predict(x)));
    variants.push(tfjsVariant('shrinkml int8 fused', threads, sample, (x) => predictInt8(int8, x)));
  }
  const sessions: OnnxSession[] = [];
  const onnxFile = join('models', 'onnx', `${name}.onnx`);
  if ((o.anchors.has('ort-node') || o.anchors.has('ort-web')) && existsSync(onnxFile)) {
    const model = decodeOnnx(new Uint8Array(readFileSync(onnxFile)), onnxFile).model;
    const inp = graphInputs(model, onnxFile)[0]!;
    const folded = foldBatchNorms(model).model;
    const { ranges } = await calibrateOnnx({ model: folded, dataset: o.calibration, input: inp });
    const bytes: [string, Uint8Array][] = [['fp32', encodeOnnx(model)], ['static int8 (QDQ)', encodeOnnx(quantizeStatic(folded, { ranges }).model)]];
    for (const threads of o.threads) {
      for (const [kind, b] of bytes) {
        if (o.anchors.has('ort-node')) {
          const s = await nodeSession(b, threads);
          sessions.push(s);
          variants.push(onnxVariant(`onnxruntime-node ${kind}`, threads, s, inp.name, sample));
          if (threads === o.threads[0]) accuracy.set(`onnxruntime-node ${kind}`, await onnxAccuracy({ session: await createSession(b), input: inp, dataset: o.test }));
        }
        const web = o.webRuntimes.get(threads);
        if (web) {
          const s = await web.createSession(b);
          sessions.push(s);
          variants.push(onnxVariant(`onnxruntime-web (wasm) ${kind}`, threads, s, inp.name, sample));
        }
      }
    }
  }
  const [b1, b64] = await batchLatencies(variants, o);
  await setKernelThreads(1);
  const rows: Row[] = variants.map((v, i) => ({ model: name, variant: v.name, threads: v.threads, b1: b1[i]!, b64: b64[i]!,
    accuracy: accuracy.get(v.name) }));
  if (o.anchors.has('pytorch')) {
    for (const threads of o.threads) {
      const outcome = await runYardstick({ model: fp32, test: o.test, calibration: o.calibration, threads,
        variants: ['fp32', 'static-minmax'], latency: { runs: Math.max(20, o.rounds * 10), warmup: 10 }, onLog: log });
      if (outcome.status !== 'ok') {
        rows.push({ model: name, variant: 'PyTorch', threads, b1: NaN, b64: NaN, note: `${outcome.status}: ${outcome.reason}` });
        continue;
      }
      for (const r of outcome.result.variants) {
        rows.push({ model: name, variant: `PyTorch ${r.name} (${outcome.result.engine})`, threads, b1: r.p50Ms ?? NaN, b64: NaN,
          accuracy: r.accuracy, note: 'batch 1 only (the yardstick times batch 1)' });
      }
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  setInt8Execution('auto');
  fp32.dispose();
  int8.dispose();
  return rows;
}

/** fp32 vs static int8 of one graph model, timed like the Layers rows; `note` carries its agreement. */
async function graphRows(o: Options, name: string, fp32: tf.GraphModel, int8: tf.GraphModel, note?: string): Promise<Row[]> {
  const sample = (fp32.inputs[0]!.shape ?? []).slice(1).map((d) => (d > 0 ? d : 224));
  const variants: Variant[] = [];
  for (const threads of o.threads) {
    variants.push(tfjsVariant('tfjs-wasm fp32 (graph)', threads, sample, (x) => fp32.execute(x) as tf.Tensor));
    variants.push(tfjsVariant('shrinkml int8 (graph)', threads, sample, (x) => int8.execute(x) as tf.Tensor));
  }
  const [b1, b64] = await batchLatencies(variants, o);
  await setKernelThreads(1);
  return variants.map((v, i) => ({ model: name, variant: v.name, threads: v.threads, b1: b1[i]!, b64: b64[i]!, note }));
}

/** Latencies at batch 1 and 64 (NaN for a size left out of --batches). */
async function batchLatencies(variants: Variant[], o: Options): Promise<[number[], number[]]> {
  const at = async (b: number) => (o.batches.includes(b) ? latencies(variants, b, o.rounds, o.roundMs) : variants.map(() => NaN));
  return [await at(1), await at(64)];
}

/** A static int8 graph model written by `compress --quantize static` against its fp32 original (folders). */
async function benchGraph(o: Options, fp32Dir: string, int8Dir: string, inputsFile?: string): Promise<Row[]> {
  const fp32 = (await loadModel(fp32Dir)).model as tf.GraphModel;
  const int8 = (await loadModel(int8Dir)).model as tf.GraphModel;
  let note: string | undefined;
  if (inputsFile) {
    const sample = (fp32.inputs[0]!.shape ?? []).slice(1).map((d) => (d > 0 ? d : 224));
    const images = await loadData({ source: inputsFile, split: 'test' });
    const x = tf.tensor(images.x, [images.count, ...sample]);
    const [a, b] = tf.tidy(() => [tf.argMax(fp32.execute(x) as tf.Tensor, -1).dataSync(), tf.argMax(int8.execute(x) as tf.Tensor, -1).dataSync()]);
    const agree = Array.from(a!).filter((v, i) => v === b![i]).length / a!.length;
    note = `top-1 agreement with fp32 on ${images.count} images of ${inputsFile}: ${(agree * 100).toFixed(2)}%`;
    x.dispose();
  }
  return graphRows(o, fp32Dir.split('/').pop()!, fp32, int8, note);
}

/**
 * nsfwjs's MobileNetV2 (the real-models cache, bench/fetch-real-models.ts) made static int8 in-process as `compress
 * --quantize static` does: calibrated (minmax) on `samples` seeded crops of the cache's photos (seed 2), top-1
 * agreement with fp32 on `samples` other crops (seed 1), preprocessed as nsfwjs does (224×224 RGB, /255).
 */
async function benchMobileNet(o: Options, cache: string, samples: number): Promise<Row[]> {
  const jsonPath = join(cache, 'nsfwjs', 'mobilenet_v2_mid', 'model.json');
  const graph = await readGraphFiles(jsonPath);
  const crops = (seed: number) => loadImageFolder({ dir: join(cache, 'photos'), height: 224, width: 224, channels: 3, layout: 'NHWC',
    range: [0, 1], seed, cropsPerImage: Math.ceil(samples / readdirSync(join(cache, 'photos')).length), limit: samples });
  const batchesOf = (d: Dataset, size: number) => Array.from({ length: Math.ceil(d.count / size) }, (_, k) => {
    const n = Math.min(size, d.count - k * size);
    return { x: tf.tensor4d(d.x.subarray(k * size * 224 * 224 * 3, (k * size + n) * 224 * 224 * 3), [n, 224, 224, 3]), n };
  });
  const calib = await crops(2);
  const { staticInt8 } = await calibrateGraphInt8({ graph, batches: batchesOf(calib, 10).map((b) => ({ feed: { input: b.x }, samples: b.n })) });
  const build = (g: ReturnType<typeof rewriteGraph>) => tf.loadGraphModelSync({
    load: () => tf.io.getModelArtifactsForJSONSync(g.json as unknown as tf.io.ModelJSON, g.json.weightsManifest[0]!.weights, g.data.slice().buffer),
  }) as unknown as tf.GraphModel;
  // fp32 compute over the weights as shipped (tfjs decodes nsfwjs' uint8 storage to float32 at load).
  const fp32 = build(rewriteGraph({ json: graph.json, weights: graph.weights, roles: graph.roles, file: graph.file }));
  const int8 = build(rewriteGraph({ json: graph.json, weights: graph.weights, roles: graph.roles, file: graph.file, staticInt8 }));
  const test = await crops(1);
  let same = 0;
  for (const b of batchesOf(test, 10)) {
    const [a, q] = tf.tidy(() => [tf.argMax(fp32.execute(b.x) as tf.Tensor, -1).dataSync(), tf.argMax(int8.execute(b.x) as tf.Tensor, -1).dataSync()]);
    same += Array.from(a!).filter((v, i) => v === q![i]).length;
    b.x.dispose();
  }
  const note = `static int8: ${staticInt8.plan.ops.length} conv/depthwise/matmul nodes and ${staticInt8.plan.adds.length} residual Adds int8; top-1 agreement with fp32 ${(100 * same / test.count).toFixed(1)}% ` +
    `on ${test.count} crops of real photos (calibrated on ${calib.count} other crops); no ONNX/PyTorch export of this model to anchor against`;
  log(`nsfwjs MobileNetV2: ${note}`);
  return graphRows(o, 'nsfwjs MobileNetV2 (224×224)', fp32, int8, note);
}

function table(rows: Row[]): string[] {
  const ms = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(3));
  const base = (r: Row) => rows.find((b) => b.model === r.model && b.variant.startsWith('tfjs-wasm fp32') && b.threads === r.threads)
    ?? rows.find((b) => b.model === r.model && b.variant.startsWith('tfjs-wasm fp32'));
  const ratio = (fp: number | undefined, v: number) => (fp === undefined || Number.isNaN(v) ? '' : ` (${(fp / v).toFixed(2)}×)`);
  const out = [
    '| model | variant | threads | p50 batch 1 (ms) (× tfjs fp32) | p50 batch 64 (ms) (× tfjs fp32) | test acc | note |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const b = base(r);
    out.push(`| ${r.model} | ${r.variant} | ${r.threads} | ${ms(r.b1)}${ratio(b?.b1, r.b1)} | ${ms(r.b64)}${ratio(b?.b64, r.b64)} | ` +
      `${r.accuracy === undefined ? '' : `${(r.accuracy * 100).toFixed(2)}%`} | ${r.note ?? ''} |`);
  }
  return out;
}

function targets(rows: Row[]): string[] {
  const out: string[] = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    for (const threads of [...new Set(rows.map((r) => r.threads))]) {
      const fp = rows.find((r) => r.model === model && r.threads === threads && r.variant.startsWith('tfjs-wasm fp32'));
      const q = rows.find((r) => r.model === model && r.threads === threads && (r.variant === 'shrinkml int8 fused' || r.variant === 'shrinkml int8 (graph)'));
      if (!fp || !q) continue;
      const s1 = fp.b1 / q.b1, s64 = fp.b64 / q.b64;
      const anchors = rows.filter((r) => r.model === model && r.threads === threads && !r.variant.startsWith('tfjs') &&
        !r.variant.startsWith('shrinkml') && !Number.isNaN(r.b1))
        .map((r) => `${r.variant}: ours ${(r.b1 / q.b1).toFixed(2)}× at 1${Number.isNaN(r.b64) ? '' : `, ${(r.b64 / q.b64).toFixed(2)}× at 64`}`);
      // A batch size left out by --batches is NaN: not judged.
      const judge = (s: number, target: number) => (Number.isNaN(s) ? 'not measured' : s >= target ? 'met' : `NOT met, short by ${(target - s).toFixed(2)}×`);
      out.push(`- ${model}, ${threads} thread(s): int8 fused ${s64.toFixed(2)}× fp32 at batch 64 (target ≥ 2×: ${judge(s64, 2)}), ` +
        `${s1.toFixed(2)}× at batch 1 (target ≥ 1.3×: ${judge(s1, 1.3)}).` +
        (anchors.length ? ` Speed of ours relative to each anchor (> 1: ours faster): ${anchors.join('; ')}.` : ''));
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: {
    models: { type: 'string', default: 'mnist-lenet5,mnist-lenet-300-100' },
    threads: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '9' },
    'round-ms': { type: 'string', default: '60' },
    'test-limit': { type: 'string' },
    'calib-samples': { type: 'string', default: '512' },
    anchors: { type: 'string', default: 'ort-node,ort-web,pytorch' },
    'graph-fp32': { type: 'string' },
    'graph-int8': { type: 'string' },
    'graph-inputs': { type: 'string' },
    batches: { type: 'string', default: '1,64' },
    mobilenet: { type: 'string' },
    'mobilenet-samples': { type: 'string', default: '100' },
    out: { type: 'string', default: 'bench/results/int8-models.md' },
  } });
  await tf.setBackend('wasm');
  await tf.ready();
  await registerKernels();
  const threads = values.threads!.split(',').map(Number);
  const anchors = new Set(values.anchors!.split(',').filter(Boolean));
  const o: Options = {
    threads, rounds: Number(values.rounds), roundMs: Number(values['round-ms']), anchors, batches: values.batches!.split(',').map(Number),
    test: await loadData({ source: 'mnist', split: 'test', limit: values['test-limit'] ? Number(values['test-limit']) : undefined }),
    calibration: await loadData({ source: 'mnist', split: 'calibration', limit: Number(values['calib-samples']) }),
    // onnxruntime-web reads numThreads once per process: one runtime (module instance) per count is not possible,
    // so only the first count gets an onnxruntime-web row.
    webRuntimes: new Map(anchors.has('ort-web') ? [[threads[0]!, webRuntime({ threads: threads[0] })]] : []),
  };
  const rows: Row[] = [];
  for (const name of values.models!.split(',').filter(Boolean)) rows.push(...await benchModel(name, o));
  if (values['graph-fp32'] && values['graph-int8']) rows.push(...await benchGraph(o, values['graph-fp32'], values['graph-int8'], values['graph-inputs']));
  if (values.mobilenet) rows.push(...await benchMobileNet(o, values.mobilenet, Number(values['mobilenet-samples'])));
  const report = [
    '# bench/int8-models', '',
    `Node ${process.version}, tfjs-backend-wasm 4.22 (SIMD; single-threaded in Node) with shrinkml's kernels, ` +
    `${new Date().toISOString().slice(0, 10)}. Static int8 (minmax, per-channel) calibrated on ${o.calibration.count} MNIST ` +
    `calibration samples; accuracy on ${o.test.count} MNIST test samples. Latency: median over ${o.rounds} interleaved ` +
    `rounds of ≥ ${o.roundMs} ms each, after 5 warm-up runs; "threads" sets shrinkml's kernel threads (setKernelThreads), ` +
    'onnxruntime intra-op threads and torch.set_num_threads.',
    '',
    ...table(rows), '', '## Targets', '', ...targets(rows), '',
  ].join('\n');
  process.stdout.write(report);
  writeGenerated(values.out!, report);
}

await main();
