import type * as tf from '@tensorflow/tfjs';
import type { ProgressFn } from '../core/progress.js';
import { buildGraph, executeGraph, loadRewritten } from '../formats/graph.js';
import { graphNodes, producerOf, rewriteGraph, type EncodedGraphWeight, type GraphCalibration, type GraphFiles, type GraphWeight } from '../formats/graph/index.js';
import { DEFAULT_WIDTH } from '../formats/graph/bits.js';
import { KernelStatsCollector, planKernelStats, type KernelPlan } from './graph-kernel-stats.js';

/**
 * Error-compensating calibration of weights:int8/int4 (formats/graph/compensate.ts): after the plain calibration
 * (and int4's bit choice), the float graph and the quantized graph as written run in lockstep on the calibration
 * inputs, and each kernel's statistics gain its input in the quantized model, E[x̃], E[x̃ x̃ᵀ] and E[x x̃ᵀ]
 * (`KernelStats.compensation`); the rewrite then rounds each kernel toward W* with H = E[x̃ x̃ᵀ] and folds
 * W·E[x] − Ŵ·E[x̃] into its bias. Widths stay as chosen.
 *
 * Sequential: a kernel's x̃ depends on the kernels upstream of it, so kernels are compensated stage by stage —
 * stage = the most calibrated kernels on a path from the inputs to it — and each stage is observed on the model
 * with every earlier stage already compensated (one rewrite and one lockstep run per stage). Observed all at once on
 * the plainly quantized model instead, each kernel would correct upstream errors that the upstream kernels' own
 * compensation then removes as well (as the all-at-once empirical bias correction over-corrected, see
 * bench/results/real-models.md).
 */
export async function compensateGraphWeights(o: {
  graph: GraphFiles; calibration: GraphCalibration; mode: 'int8' | 'int4'; feeds: readonly tf.NamedTensorMap[];
  /** Weights written as the input stored them (the weight step's exclude): not quantized, so not compensated. */
  keepStored?: ReadonlySet<string>;
  /** One event per stage (a rewrite and a lockstep run of both models: nsfwjs' 53 stages take minutes). */
  onProgress?: ProgressFn;
}): Promise<{ calibration: GraphCalibration; report: { kernels: number; stages: number; seconds: number } }> {
  const t0 = performance.now();
  const g = o.graph;
  const plans = planKernelStats(g).filter((p) => o.calibration.kernels[p.weight] && !o.keepStored?.has(p.weight));
  const stages = stagesOf(g, plans);
  const kernels = { ...o.calibration.kernels };
  const cache = new WeakMap<GraphWeight, Map<string, EncodedGraphWeight>>();
  let calibration = o.calibration;
  if (o.mode === 'int4' && !calibration.kernelWidths) {
    // The estimate's widths (rewrite.ts) depend on the statistics: pinned first, so that compensating a stage does
    // not move the widths of the kernels observed before it.
    const widths = rewriteGraph({ json: g.json, weights: g.weights, roles: g.roles, mode: 'int4', file: g.file, calibration, encodeCache: cache, keepStored: o.keepStored }).widths ?? {};
    calibration = { ...calibration, kernelWidths: Object.fromEntries(Object.entries(widths).filter(([, w]) => w !== DEFAULT_WIDTH)) };
  }
  const float = buildGraph(g.json, g.weights, g.file);
  try {
    for (const [index, stage] of stages.entries()) {
      const written = rewriteGraph({ json: g.json, weights: g.weights, roles: g.roles, mode: o.mode, file: g.file, calibration: { ...calibration, kernels }, encodeCache: cache, keepStored: o.keepStored });
      const quantized = loadRewritten(written);
      try {
        const tensors = [...new Set(stage.map((p) => p.input))];
        const collectors = stage.map((p, i) => ({ tensor: tensors.indexOf(p.input), stats: new KernelStatsCollector(p, true, i + 1, true) }));
        for (const feed of o.feeds) {
          const x = await executeGraph(float, feed, tensors);
          const xq = await executeGraph(quantized, feed, tensors);
          try {
            for (const c of collectors) await c.stats.collect(x[c.tensor]!, xq[c.tensor]!);
          } finally {
            // A kernel reading a model input gets the feed's own tensor back: the caller's to dispose.
            const fed = new Set(Object.values(feed));
            for (const t of [...x, ...xq]) if (!fed.has(t)) t.dispose();
          }
        }
        for (const c of collectors) kernels[c.stats.plan.weight] = { ...kernels[c.stats.plan.weight]!, compensation: c.stats.compute().compensation };
      } finally {
        quantized.dispose();
      }
      o.onProgress?.({ phase: 'error compensation', done: index + 1, total: stages.length });
    }
  } finally {
    float.dispose();
  }
  return { calibration: { ...calibration, kernels }, report: { kernels: plans.length, stages: stages.length, seconds: (performance.now() - t0) / 1000 } };
}

/** The plans grouped by stage, in order: a kernel's stage counts the planned kernels on the longest path above it. */
function stagesOf(g: GraphFiles, plans: KernelPlan[]): KernelPlan[][] {
  const { main } = graphNodes(g.json.modelTopology as Record<string, any>);
  const byName = new Map(main.map((n) => [n.name, n]));
  const readers = new Set(plans.map((p) => p.node));
  const depth = new Map<string, number>();
  // Iterative post-order: a recursive walk could overflow the stack on deep graphs. A node met again while its inputs
  // are pending closes a loop (NextIteration): its edge back is not followed.
  const depthOf = (start: string): number => {
    const stack = [start];
    const open = new Set<string>();
    while (stack.length) {
      const name = stack[stack.length - 1]!;
      if (depth.has(name)) { stack.pop(); continue; }
      const inputs = (byName.get(name)?.input ?? []).map(producerOf).filter((i) => !i.control).map((i) => i.name);
      const pending = inputs.filter((i) => !depth.has(i) && byName.has(i) && !open.has(i));
      if (pending.length && !open.has(name)) { open.add(name); stack.push(...pending); continue; }
      const above = Math.max(0, ...inputs.map((i) => depth.get(i) ?? 0));
      depth.set(name, above + (readers.has(name) ? 1 : 0));
      stack.pop();
    }
    return depth.get(start)!;
  };
  const stages: KernelPlan[][] = [];
  for (const p of plans) (stages[depthOf(p.node) - 1] ??= []).push(p);
  return stages.filter(Boolean);
}
