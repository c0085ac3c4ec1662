import type * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isShrinkmlError } from '../../core/errors.js';
import { batches } from '../../data/batches.js';
import type { Dataset } from '../../data/types.js';
import { tempFolders } from '../../formats/cleanup.js';
import { DEFAULT_QUANT_CONFIG } from '../../quantize/index.js';
import { detectTorch } from './detect.js';
import { exportForYardstick } from './export.js';

/** PyTorch's quantization recipes the script runs (see bench/pytorch/yardstick.py). */
export const YARDSTICK_VARIANTS = ['fp32', 'dynamic', 'static-minmax', 'static-histogram'] as const;
export type YardstickVariant = (typeof YARDSTICK_VARIANTS)[number];

export interface YardstickRow {
  name: YardstickVariant;
  description: string;
  accuracy: number;
  /** Points lost against PyTorch fp32 on the same samples. */
  drop: number;
  /** torch.save(state_dict) into memory: raw bytes and gzip -9 bytes. */
  bytes: number;
  gzipBytes: number;
  /** Quantization wall time (absent for fp32). */
  seconds?: number;
  qconfig?: string;
  p50Ms?: number;
  p95Ms?: number;
}

/** PyTorch fp32 against the tfjs model it was rebuilt from, on the same samples. */
export interface WeightTransfer {
  tfjsAccuracy: number;
  torchAccuracy: number;
  /** Share of samples with the same top-1 class. */
  agreement: number;
  /** Largest absolute difference between the two models' outputs (softmax probabilities for classifiers). */
  maxAbsDiff: number;
  tolerancePt: number;
  /** The accuracies are equal within tolerancePt: the weights arrived intact. */
  ok: boolean;
}

export interface YardstickResult {
  /** The interpreter that ran it. */
  interpreter: string;
  torch: string;
  python: string;
  engine: string;
  threads: number;
  cpu: string;
  samples: number;
  batchSize: number;
  calibrationSamples: number;
  transfer: WeightTransfer;
  variants: YardstickRow[];
  totalSeconds: number;
  /** PyTorch fp32 outputs (samples × classes), when asked for with `keepPredictions`. */
  predictions?: Float32Array;
}

/** Optional by design: only 'failed' means something is broken; the others say why nothing was measured. */
export type YardstickOutcome =
  | { status: 'ok'; result: YardstickResult }
  | { status: 'not-run' | 'unsupported' | 'failed'; reason: string };

export interface YardstickOptions {
  model: tf.LayersModel;
  /** Labelled samples measured by every variant (the bench's test split). */
  test: Dataset;
  /** The calibration split; a function is called only once PyTorch is known to be there. */
  calibration?: Dataset | (() => Promise<Dataset>);
  /** Calibration samples used, the first of the split; default shrinkml's own (DEFAULT_QUANT_CONFIG, 512). */
  calibrationSamples?: number;
  /** Batch size of the accuracy runs; dynamic quantization picks its ranges per batch. Default 256, as measureWritten. */
  batchSize?: number;
  latency?: false | { runs: number; warmup: number };
  /** torch.set_num_threads; default 1, to compare with single-threaded wasm. */
  threads?: number;
  variants?: readonly YardstickVariant[];
  /** The interpreter; default found by detectTorch (SHRINKML_PYTHON, /usr/bin/python3, python3). */
  python?: string;
  keepPredictions?: boolean;
  /** Default 20 minutes. */
  timeoutMs?: number;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
}

/** bench/pytorch/yardstick.py, found from this module in src/ (tests) or dist/src/ (built). */
export function yardstickScript(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'bench', 'pytorch', 'yardstick.py');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

const asBuffer = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Model inputs (in the model's layout) and, for the test set, the tfjs model's own outputs as the reference. */
function shaped(model: tf.LayersModel, data: Dataset, count: number, withOutputs: boolean): { x: Float32Array; y?: Float32Array } {
  const inputShape = model.inputs[0]!.shape;
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * size);
  const ys: Float32Array[] = [];
  const subset: Dataset = count === data.count ? data : { ...data, count, x: data.x.subarray(0, count * size), labels: data.labels?.subarray(0, count) };
  for (const b of batches(subset, { batchSize: 256, inputShape })) {
    x.set(b.x.dataSync() as Float32Array, b.start * size);
    if (withOutputs) {
      const out = model.predict(b.x) as tf.Tensor;
      ys.push(out.dataSync() as Float32Array);
      out.dispose();
    }
  }
  if (!withOutputs) return { x };
  const y = new Float32Array(ys.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of ys) { y.set(a, at); at += a.length; }
  return { x, y };
}

interface ScriptRun { code: number | null; stdout: string; lastError: string }

function runScript(python: string, args: string[], o: YardstickOptions): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: o.timeoutMs ?? 20 * 60_000, signal: o.signal });
    let stdout = '';
    let pending = '';
    let lastError = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      const lines = (pending + d).split('\n');
      pending = lines.pop()!;
      for (const line of lines.filter((l) => l.trim())) {
        lastError = line;
        o.onLog?.(`  ${line}`);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending.trim()) { lastError = pending; o.onLog?.(`  ${pending}`); }
      resolve({ code, stdout, lastError });
    });
  });
}

/**
 * Runs the PyTorch yardstick: the same architecture, fp32 weights, test samples and calibration samples as the
 * shrinkml variants, quantized by PyTorch. Never throws for a missing or unusable PyTorch (that is an outcome);
 * throws only when `signal` aborts.
 */
export async function runYardstick(o: YardstickOptions): Promise<YardstickOutcome> {
  const probe = await detectTorch({ python: o.python });
  if (!probe.available) return { status: 'not-run', reason: probe.reason };
  const script = yardstickScript();
  if (!script) return { status: 'not-run', reason: 'bench/pytorch/yardstick.py not found beside the shrinkml install' };
  if (!o.test.labels) return { status: 'unsupported', reason: `test data '${o.test.name}' has no labels` };
  let exported;
  try {
    exported = exportForYardstick(o.model);
  } catch (e) {
    if (isShrinkmlError(e) && e.code === 'UNSUPPORTED') return { status: 'unsupported', reason: e.message };
    throw e;
  }
  const variants = o.variants ?? YARDSTICK_VARIANTS;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'shrinkml-yardstick-'));
  const untrack = tempFolders.track(dir);
  try {
    const write = (name: string, a: Float32Array | Int32Array) => fsp.writeFile(path.join(dir, name), asBuffer(a));
    const test = shaped(o.model, o.test, o.test.count, true);
    await write('weights.f32', exported.weights);
    await write('test-x.f32', test.x);
    await write('test-labels.i32', o.test.labels);
    await write('test-reference.f32', test.y!);
    let calibration: { x: string; count: number; batchSize: number } | undefined;
    if (variants.some((v) => v.startsWith('static-')) && o.calibration) {
      const data = typeof o.calibration === 'function' ? await o.calibration() : o.calibration;
      const count = Math.min(data.count, o.calibrationSamples ?? DEFAULT_QUANT_CONFIG.calibration.samples);
      await write('calibration-x.f32', shaped(o.model, data, count, false).x);
      calibration = { x: 'calibration-x.f32', count, batchSize: DEFAULT_QUANT_CONFIG.calibration.batchSize };
    }
    const spec = {
      inputShape: exported.inputShape, layers: exported.layers, weights: 'weights.f32',
      test: { x: 'test-x.f32', labels: 'test-labels.i32', count: o.test.count }, reference: 'test-reference.f32', calibration,
      batchSize: o.batchSize ?? 256, threads: o.threads ?? 1, latency: o.latency || null,
      variants: calibration ? variants : variants.filter((v) => !v.startsWith('static-')),
      savePredictions: o.keepPredictions ? 'fp32-outputs.f32' : undefined,
    };
    await fsp.writeFile(path.join(dir, 'spec.json'), JSON.stringify(spec));
    o.onLog?.(`  ${probe.python}: torch ${probe.torch} (${probe.engines.join(', ')})`);
    const run = await runScript(probe.python, [script, path.join(dir, 'spec.json')], o);
    const answer = (() => { try { return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>; } catch { return undefined; } })();
    const error = answer?.error as { message?: string } | undefined;
    if (run.code === 2 && error) return { status: 'unsupported', reason: error.message ?? 'unsupported model' };
    if (run.code !== 0 || !answer || !answer.transfer) {
      return { status: 'failed', reason: `${path.basename(script)} exited with ${run.code ?? 'a signal (timeout?)'}: ${run.lastError || 'no output'}` };
    }
    const result = { ...answer, interpreter: probe.python } as unknown as YardstickResult;
    if (o.keepPredictions) {
      const bytes = await fsp.readFile(path.join(dir, 'fp32-outputs.f32'));
      result.predictions = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    }
    return { status: 'ok', result };
  } catch (e) {
    if (o.signal?.aborted) throw e;
    return { status: 'failed', reason: (e as Error).message.split('\n')[0]! };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
    untrack();
  }
}
