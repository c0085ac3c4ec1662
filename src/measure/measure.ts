import * as tf from '@tensorflow/tfjs';
import type { ProgressFn } from '../core/progress.js';
import { pairStates, runStream, describeStates, type StatePair } from '../data/stream.js';
import { datasetFeeds, planFeeds, syntheticFeeds, usableBatchSizes, type FeedPlan, type InputOptions } from '../data/feeds.js';
import { defaultBatchSize } from '../data/batches.js';
import type { Dataset } from '../data/types.js';
import { formatOf } from '../formats/index.js';
import type { ModelRunner } from '../formats/registry.js';
import type { HostTensor, LoadedModel } from '../formats/types.js';
import { checkBudget } from './budget/check.js';
import { toBudget } from './budget/parse.js';
import { hasLatencyCriterion } from './budget/metrics.js';
import type { Budget } from './budget/types.js';
import { measureLatency, type BatchLatency, type LatencyOptions, type LatencyResult } from './latency.js';
import { countParams, type ParamStats } from './params.js';
import { onnxParams } from './params-onnx.js';
import { summarize } from './percentile.js';
import { canBeClassScores, evaluateQuality, type Forward, type Outputs, type QualityBatches } from './quality.js';
import { measureSize } from './size.js';
import type { Measurement } from './types.js';

/**
 * What measureModel measures: the loaded model, optional labelled batches, a reference, latency settings, a budget.
 */
export interface MeasureModelOptions {
  /** Any format: tfjs Layers/Graph run on the active tfjs backend, ONNX in onnxruntime-node (the adapter's runner). */
  loaded: LoadedModel;
  /** The model compressed from, any format: enables agreement, meanKl, cosine, mse, psnr, and drop when data is labelled. */
  reference?: LoadedModel;
  /** tfjs evaluation batches (tfjs models only); or give `dataset`, which works for every format. */
  batches?: QualityBatches;
  /** Evaluation data, fed through each model's own inputs (see src/data/feeds.ts). */
  dataset?: Dataset;
  batchSize?: number;
  /** How inputs are fed (`--input-shape`, `--input`, which inputs take data). */
  inputs?: InputOptions;
  /** Metric names (see METRICS); default: all the inputs allow. */
  metrics?: string[];
  /**
   * Latency settings, or true for the defaults, or false for none. Left out, latency is measured only when the
   * budget has a p50/p95 criterion.
   */
  latency?: boolean | Omit<LatencyOptions, 'model' | 'onProgress'>;
  /** A budget string or object; parsed first so a typo fails before any slow work. */
  budget?: string | Budget;
  /** Per-weight bits by manifest name (int8 layers), see countParams. */
  weightBits?: Record<string, number>;
  /** Packed int8 weights by name → real parameter count, see countParams. */
  packedInt8?: Record<string, number>;
  /** Dispose each batch's `x` after use. */
  disposeBatches?: boolean;
  /** Samples the batches will yield, so progress can say how far along evaluation is. */
  totalSamples?: number;
  onProgress?: ProgressFn;
}

const NAMED = ['accuracy', 'agreement', 'meanKl', 'cosine', 'mse', 'psnr'] as const;

function params(options: MeasureModelOptions): Promise<ParamStats> | ParamStats {
  const { loaded } = options;
  if (loaded.kind === 'onnx') return onnxParams(loaded);
  return countParams({ model: loaded.model, weightSpecs: loaded.weightSpecs, weightBits: options.weightBits, packedInt8: options.packedInt8 });
}

/**
 * A model's runner and feed plan, opened once per measurement. `pairs`: state inputs fed back from outputs, frame
 * by frame (src/data/stream.ts); `carry` is the state between consecutive batches of frames.
 */
interface Session { runner: ModelRunner; plan: FeedPlan; pairs: StatePair[]; carry: Record<string, HostTensor>; dispose(): Promise<void> }

async function open(loaded: LoadedModel, inputs: InputOptions | undefined): Promise<Session> {
  const adapter = formatOf(loaded);
  const plan = await planFeeds(loaded.source, adapter.inputs(loaded), inputs);
  const pairs = pairStates(loaded.source, plan, adapter.outputs(loaded), inputs?.state);
  const runner = await adapter.runner(loaded);
  return { runner, plan, pairs, carry: {}, dispose: () => runner.dispose() };
}

/** Frames in order, each output of each frame one row: the compressed and the original model each carry their own state. */
function streamForward(session: Session, dataset: Dataset): Forward {
  return async (x) => {
    const rows = new Map<string, Float32Array[]>();
    for await (const { outputs } of runStream({ ...session, dataset, range: x as { start: number; end: number } })) {
      for (const o of session.runner.outputs) {
        const t = outputs[o.name]!;
        rows.set(o.name, [...rows.get(o.name) ?? [], t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number)]);
      }
    }
    return session.runner.outputs.map((o) => {
      const frames = rows.get(o.name) ?? [];
      const cols = frames[0]?.length ?? 0;
      const data = new Float32Array(frames.length * cols);
      frames.forEach((f, i) => data.set(f, i * cols));
      return { data, rows: frames.length, cols };
    });
  };
}

function toOutputs(t: HostTensor): Outputs {
  const rows = t.dims[0] ?? 1;
  const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
  return { data, rows, cols: rows ? data.length / rows : 0, classScores: canBeClassScores(t.dims) };
}

function forward(session: Session, dataset: Dataset): Forward {
  if (session.pairs.length) return streamForward(session, dataset);
  return async (x) => {
    const range = x as { start: number; end: number };
    const { outputs } = await session.runner.run(datasetFeeds(session.plan, dataset, range));
    return session.runner.outputs.map((o) => toOutputs(outputs[o.name]!));
  };
}

function* ranges(dataset: Dataset, batchSize: number, fixed?: number): Generator<{ x: { start: number; end: number }; labels?: Int32Array }> {
  const step = fixed ?? batchSize;
  // A graph that fixes its batch size takes only whole batches of it.
  const count = fixed ? dataset.count - (dataset.count % fixed) : dataset.count;
  for (let start = 0; start < count; start += step) {
    const end = Math.min(start + step, count);
    yield { x: { start, end }, labels: dataset.labels?.subarray(start, end) };
  }
}

async function runnerLatency(session: Session, options: Omit<LatencyOptions, 'model' | 'onProgress'>, onProgress?: ProgressFn): Promise<LatencyResult> {
  const { batchSizes = [1, 32], warmup = 5, runs = 50 } = options;
  const { sizes, note } = usableBatchSizes(session.plan, batchSizes);
  const total = sizes.length * (warmup + runs);
  let done = 0;
  const byBatch: BatchLatency[] = [];
  for (const batchSize of sizes) {
    const feeds = syntheticFeeds(session.plan, batchSize);
    const times: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const { ms } = await session.runner.run(feeds);
      if (i >= warmup) times.push(ms);
      onProgress?.({ phase: 'latency', done: ++done, total, message: `batch ${batchSize}` });
    }
    const s = summarize(times);
    byBatch.push({ batchSize, runs, p50Ms: s.p50, p95Ms: s.p95, meanMs: s.mean, minMs: s.min, maxMs: s.max });
  }
  const one = byBatch.find((b) => b.batchSize === 1);
  return { backend: session.runner.runtime, p50Ms: one?.p50Ms, p95Ms: one?.p95Ms, byBatch, ...(note ? { note } : {}) };
}

/**
 * Measures what the options ask for, for a model of any format; the result uses the Measurement names the CLI
 * prints. ONNX (and any model given `dataset`) runs through its format adapter's runner with feeds planned from
 * its declared inputs; tfjs batches run on the tfjs model directly.
 */
export async function measureModel(options: MeasureModelOptions): Promise<Measurement> {
  const { loaded } = options;
  const budget = options.budget === undefined ? undefined : toBudget(options.budget);
  const p = await params(options);
  const m: Measurement = {
    kind: loaded.kind, source: loaded.source, backend: loaded.kind === 'onnx' ? 'onnxruntime-node' : tf.getBackend(),
    params: p.params, nonzeroParams: p.nonzeroParams, sparsity: p.sparsity, layers: p.layers,
    size: await measureSize({ loaded }),
  };
  const budgetNeedsLatency = hasLatencyCriterion(budget);
  const latency = options.latency ?? budgetNeedsLatency;
  const useRunner = loaded.kind === 'onnx' || options.reference?.kind === 'onnx' || (!!options.dataset && !options.batches);
  const sessions: Session[] = [];
  try {
    let batches = options.batches;
    let model: Forward | undefined;
    let reference: Forward | undefined;
    if (options.dataset && useRunner) {
      const own = await open(loaded, options.inputs);
      sessions.push(own);
      model = forward(own, options.dataset);
      if (options.reference) {
        const ref = await open(options.reference, options.inputs);
        sessions.push(ref);
        reference = forward(ref, options.dataset);
      }
      batches = ranges(options.dataset, options.batchSize ?? defaultBatchSize(options.dataset), own.plan.fixedBatch);
      if (own.pairs.length) m.streamed = { state: Object.fromEntries(own.pairs.map((p) => [p.input, p.output])), note: describeStates(own.pairs) };
    }
    if (batches) {
      const q = await evaluateQuality({
        model: model ?? (loaded.model as tf.LayersModel), reference: reference ?? (options.reference?.model as tf.LayersModel | undefined),
        batches, metrics: options.metrics, disposeBatches: options.disposeBatches,
        totalSamples: options.totalSamples ?? options.dataset?.count, onProgress: options.onProgress,
      });
      m.samples = q.samples;
      const extra: Record<string, number> = {};
      for (const [name, value] of Object.entries(q.values)) {
        if ((NAMED as readonly string[]).includes(name)) (m as unknown as Record<string, number>)[name] = value;
        else extra[name] = value;
      }
      if (Object.keys(extra).length) m.metrics = extra;
      const refAcc = q.referenceValues.accuracy;
      if (refAcc !== undefined) {
        m.referenceAccuracy = refAcc;
        if (m.accuracy !== undefined) m.drop = (refAcc - m.accuracy) * 100;
      }
    }
    if (latency) {
      const settings = latency === true ? {} : latency;
      if (loaded.kind !== 'onnx' && !options.inputs?.shapes && !options.inputs?.values) {
        m.latency = await measureLatency({ ...settings, model: loaded.model, onProgress: options.onProgress });
      } else {
        const own = sessions[0] ?? await open(loaded, options.inputs);
        if (!sessions.includes(own)) sessions.push(own);
        m.latency = await runnerLatency(own, settings, options.onProgress);
      }
    }
  } finally {
    for (const s of sessions) await s.dispose();
  }
  if (budget) m.budget = checkBudget(budget, m);
  return m;
}
