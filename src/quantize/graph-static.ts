import type * as tf from '@tensorflow/tfjs';
import type { ProgressFn } from '../core/progress.js';
import { buildGraph, executeGraph } from '../formats/graph.js';
import { planStaticInt8, type GraphCalibration, type GraphFiles, type StaticInt8 } from '../formats/graph/index.js';
import { calibrateTensors, observeTensors } from './calibrate-tensors.js';
import { KernelStatsCollector, planKernelStats } from './graph-kernel-stats.js';
import type { ObserverName, ObserverOptions } from './observers/types.js';

/**
 * Static int8 for a graph model: prepare (plan which nodes run int8, formats/graph/static-int8.ts) → calibrate (the
 * observers of the Layers path over every int8 op's input, on the float graph as its weights are now) → the
 * StaticInt8 that rewriteGraph / the graph adapter's writer convert with. `batches` are the model's inputs by name;
 * their tensors are disposed once run.
 */
export async function calibrateGraphInt8(o: {
  graph: GraphFiles;
  batches: Iterable<{ feed: tf.NamedTensorMap; samples: number }>;
  observer?: ObserverName;
  observerOptions?: ObserverOptions;
  exclude?: (node: string) => boolean;
  total?: number;
  onProgress?: ProgressFn;
}): Promise<{ staticInt8: StaticInt8; observer: ObserverName; samples: number; seconds: number }> {
  const g = o.graph;
  const plan = planStaticInt8({ json: g.json, weights: g.weights, roles: g.roles, file: g.file, exclude: o.exclude });
  const model = buildGraph(g.json, g.weights, g.file);
  try {
    const c = await calibrateTensors({
      tensors: plan.tensors, batches: o.batches, total: o.total, observer: o.observer, observerOptions: o.observerOptions, onProgress: o.onProgress,
      run: runNamed(model),
    });
    return { staticInt8: { plan, ranges: c.ranges }, observer: c.observer, samples: c.samples, seconds: c.seconds };
  } finally {
    model.dispose();
  }
}

/** Named tensors of a graph (execute where the graph allows it). */
function runNamed(model: tf.GraphModel) {
  return (feed: tf.NamedTensorMap, names: string[]) => executeGraph(model, feed, names);
}

/**
 * weights:int8/int4 with data: the input statistics of every kernel (graph-kernel-stats.ts) on the float graph as its
 * weights are now, for bias correction and — with `gptq` — GPTQ rounding when the graph is written
 * (formats/graph/correction.ts). Same batches and loop as static int8's calibration.
 */
export async function calibrateGraphWeights(o: {
  graph: GraphFiles;
  batches: Iterable<{ feed: tf.NamedTensorMap; samples: number }>;
  gptq: boolean;
  total?: number;
  onProgress?: ProgressFn;
}): Promise<{ calibration: GraphCalibration; seconds: number }> {
  const g = o.graph;
  const plans = planKernelStats(g);
  const tensors = [...new Set(plans.map((p) => p.input))];
  const collectors = plans.map((p, i) => ({ tensor: tensors.indexOf(p.input), stats: new KernelStatsCollector(p, o.gptq, i + 1) }));
  const model = buildGraph(g.json, g.weights, g.file);
  try {
    const r = await observeTensors({
      tensors, batches: o.batches, total: o.total, onProgress: o.onProgress, run: runNamed(model),
      collect: async (index, value) => { for (const c of collectors) if (c.tensor === index) await c.stats.collect(value); },
    });
    const kernels = Object.fromEntries(collectors.map((c) => [c.stats.plan.weight, c.stats.compute()]));
    return { calibration: { kernels, samples: r.samples }, seconds: r.seconds };
  } finally {
    model.dispose();
  }
}
