import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import { summarize } from './percentile.js';
import { inputShapes, runModel, type AnyModel } from './run.js';

export interface LatencyOptions {
  model: AnyModel;
  /** One input's shape without the batch dimension; inferred from the model's inputs when omitted. */
  inputShape?: number[];
  batchSizes?: number[];
  /** Untimed runs per batch size first (shader compilation, kernel caches, allocator warm-up). */
  warmup?: number;
  /** Timed runs per batch size. */
  runs?: number;
  onProgress?: ProgressFn;
  /**
   * Real inputs, timed as given (one batch, its own batch size; `batchSizes` and `inputShape` are then unused): for
   * models random inputs cannot feed (int32 pixels, token ids, sparse indices). The caller keeps and disposes it.
   */
  feed?: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
}

/** Milliseconds per forward pass (the whole batch, until its outputs are readable), nearest-rank percentiles. */
export interface BatchLatency {
  batchSize: number;
  runs: number;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

export interface LatencyResult {
  /** The tfjs backend the timings were taken on. */
  backend: string;
  /** At batch size 1; absent when batch size 1 was not measured. */
  p50Ms?: number;
  p95Ms?: number;
  byBatch: BatchLatency[];
  /** Why some requested batch sizes were not measured (a graph that fixes its batch size). */
  note?: string;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ShrinkmlError('BAD_INPUT', `latency: ${name} must be an integer >= ${min}, got ${value}`, { subject: `--${name}` });
  }
}

const now = (): number => globalThis.performance.now();

/**
 * Each run creates nothing it keeps: the random input is made once per batch size, and every output is read
 * (`await data()`, so queued GPU work is part of the time) and disposed. Reading the output is counted on every
 * backend so timings compare across backends.
 */
export async function measureLatency(options: LatencyOptions): Promise<LatencyResult> {
  const { model, batchSizes = [1, 32], warmup = 5, runs = 50, onProgress } = options;
  if (batchSizes.length === 0) throw new ShrinkmlError('BAD_INPUT', 'latency: no batch sizes given', { subject: '--batch-sizes' });
  for (const b of batchSizes) checkCount('batch-sizes', b, 1);
  checkCount('warmup', warmup, 0);
  checkCount('runs', runs, 1);
  const total = (options.feed ? 1 : batchSizes.length) * (warmup + runs);
  let done = 0;
  const byBatch: BatchLatency[] = [];
  const feed = options.feed;
  for (const batchSize of feed ? [batchOf(feed)] : batchSizes) {
    const inputs = feed ? [] : inputShapes(model, batchSize, options.inputShape).map((shape) => tf.randomUniform(shape));
    const times: number[] = [];
    try {
      for (let i = 0; i < warmup + runs; i++) {
        const start = now();
        const outputs = await runModel(model, feed ?? (inputs.length === 1 ? inputs[0]! : inputs));
        try {
          await Promise.all(outputs.map((o) => o.data()));
        } finally {
          tf.dispose(outputs);
        }
        if (i >= warmup) times.push(now() - start);
        onProgress?.({ phase: 'latency', done: ++done, total, message: `batch ${batchSize}` });
      }
    } finally {
      tf.dispose(inputs);
    }
    const s = summarize(times);
    byBatch.push({ batchSize, runs, p50Ms: s.p50, p95Ms: s.p95, meanMs: s.mean, minMs: s.min, maxMs: s.max });
  }
  const one = byBatch.find((b) => b.batchSize === 1);
  return { backend: tf.getBackend(), p50Ms: one?.p50Ms, p95Ms: one?.p95Ms, byBatch };
}

/** A feed's batch size: the first dimension of its first tensor of rank ≥ 1 (1 for scalars only). */
function batchOf(feed: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): number {
  const tensors = feed instanceof tf.Tensor ? [feed] : Array.isArray(feed) ? feed : Object.values(feed);
  return tensors.find((t) => t.rank >= 1)?.shape[0] ?? 1;
}
