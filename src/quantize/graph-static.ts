import type * as tf from '@tensorflow/tfjs';
import type { ProgressFn } from '../core/progress.js';
import { buildGraph } from '../formats/graph.js';
import { planStaticInt8, type GraphFiles, type StaticInt8 } from '../formats/graph/index.js';
import { calibrateTensors } from './calibrate-tensors.js';
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
      run: async (feed, names) => {
        // execute() where the graph allows it; graphs with control flow or dynamic shapes refuse it.
        let y: tf.Tensor | tf.Tensor[];
        try {
          y = model.execute(feed, names);
        } catch {
          y = await model.executeAsync(feed, names);
        }
        return Array.isArray(y) ? y : [y];
      },
    });
    return { staticInt8: { plan, ranges: c.ranges }, observer: c.observer, samples: c.samples, seconds: c.seconds };
  } finally {
    model.dispose();
  }
}
