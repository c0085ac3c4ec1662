import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError, isShrinkmlError } from '../core/errors.js';
import type { ProgressFn } from '../core/progress.js';
import { createObserver } from './observers/index.js';
import type { Observer, ObserverName, ObserverOptions, Range } from './observers/types.js';

/** What every tensor-calibration pass takes: named tensors that `run` computes from each batch of model inputs. */
export interface TensorPass {
  /** Tensor names, e.g. graph node outputs ('node' or 'node:1'). */
  tensors: string[];
  /** Batches of model inputs; each is run once. */
  batches: Iterable<{ feed: tf.NamedTensorMap; samples: number }>;
  /** The named tensors of one batch, in `tensors` order; they and the feed are disposed once observed. */
  run: (feed: tf.NamedTensorMap, tensors: string[]) => Promise<tf.Tensor[]>;
  /** Samples in all the batches, for progress. */
  total?: number;
  onProgress?: ProgressFn;
}

/**
 * The calibrate phase's loop for models that are not LayersModels (tfjs GraphModels): runs each batch once and hands
 * every requested tensor to `collect` (streamed: no batch is kept). Range observers (`calibrateTensors`) and the
 * kernel input statistics of weights:int8/int4 (graph-kernel-stats.ts) both run through it.
 */
export async function observeTensors(o: TensorPass & { collect: (index: number, value: tf.Tensor) => Promise<void> }): Promise<{ samples: number; seconds: number }> {
  const started = Date.now();
  let samples = 0;
  for (const batch of o.batches) {
    const values = await o.run(batch.feed, o.tensors);
    try {
      for (let i = 0; i < o.tensors.length; i++) {
        try {
          await o.collect(i, values[i]!);
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          throw new ShrinkmlError(isShrinkmlError(e) ? e.code : 'INTERNAL', `calibrating tensor '${o.tensors[i]}': ${message}`, { subject: o.tensors[i], cause: e });
        }
      }
    } finally {
      // A requested tensor may be a feed itself (a graph input): each is disposed once.
      for (const t of new Set([...values, ...Object.values(batch.feed)])) t.dispose();
    }
    samples += batch.samples;
    o.onProgress?.({ phase: 'calibrate', done: samples, total: o.total ?? samples });
  }
  if (samples === 0) throw new ShrinkmlError('BAD_INPUT', 'calibration data has no samples', { subject: '--data' });
  return { samples, seconds: (Date.now() - started) / 1000 };
}

/**
 * The calibrate phase's ranges for models that are not LayersModels: the same observers as `calibrate` (one per
 * tensor, streamed batch by batch).
 */
export async function calibrateTensors(o: TensorPass & { observer?: ObserverName; observerOptions?: ObserverOptions }): Promise<{ ranges: Record<string, Range>; observer: ObserverName; samples: number; seconds: number }> {
  const name = o.observer ?? 'minmax';
  const observers: Observer[] = o.tensors.map(() => createObserver(name, o.observerOptions));
  const { samples, seconds } = await observeTensors({ ...o, collect: (i, t) => observers[i]!.collect(t) });
  const ranges: Record<string, Range> = {};
  o.tensors.forEach((t, i) => { ranges[t] = observers[i]!.compute(); });
  return { ranges, observer: name, samples, seconds };
}
