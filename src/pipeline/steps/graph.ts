import { clusterGraphWeights } from '../../cluster/graph-weights.js';
import type { GraphWeightMode } from '../../formats/graph/index.js';
import type { LoadedGraphModel } from '../../formats/types.js';
import { pruneGraphWeights } from '../../prune/graph-weights.js';
import { parsePruneSpec } from '../../prune/index.js';
import { matchesAny } from '../../prune/targets.js';
import { num, offLayers, toMatchers } from './shared.js';
import type { AdapterStepContext, AdapterStepResult, StepImpl } from './types.js';

/**
 * The tfjs graph-model implementations of the weight-only steps: magnitude/N:M pruning and clustering of the graph's
 * kernel constants (conv/matmul/depthwise filters, embedding tables; see formats/graph/roles.ts), and the weight
 * modes float16 | uint8 | int8 | int4 (written by formats/graph, stock-loadable). No data and no input shape:
 * graph models with free input dims go through. Exclusions name weights. Graph models are not trained here.
 */
type Ctx = AdapterStepContext<LoadedGraphModel>;
type Impl = StepImpl<Ctx, AdapterStepResult<LoadedGraphModel>>;

const NO_TRAINING = 'graph models are compressed one-shot (no fine-tuning); set finetuneEpochs to 0';

/** The working copy without the excluded weights (by name), for the passes that act on every kernel. */
function targets(options: Record<string, unknown>, ctx: Ctx) {
  const exclude = [...toMatchers(options.exclude, 'exclude'), ...offLayers(ctx.levels)];
  const weights = ctx.model.graph.weights.filter((w) => !matchesAny(w.name, exclude));
  return { weights, roles: ctx.model.graph.roles, exclude };
}

export const graphPrune: Impl = {
  refuse(options) {
    // The spec itself is checked by the step's `check`; only what graph models cannot do is refused here.
    const spec = typeof options.method === 'string' ? parsePruneSpec(options.method) : undefined;
    if (spec?.kind === 'structured') return 'structured pruning cuts layers; a graph model has none to cut (use magnitude:S[:global] or N:M)';
    if (num(options, 'finetuneEpochs', 0) > 0) return NO_TRAINING;
    return undefined;
  },
  async run(options, ctx) {
    const { weights, roles, exclude } = targets(options, ctx);
    const sparsity = await pruneGraphWeights({ weights, roles, spec: parsePruneSpec(String(options.method)), seed: ctx.seed });
    return { model: ctx.model, summary: { spec: String(options.method), weights: Object.fromEntries(sparsity), excluded: exclude.map(String) } };
  },
};

export const graphCluster: Impl = {
  refuse(options) {
    if (num(options, 'finetuneEpochs', 0) > 0) return NO_TRAINING;
    if (options.storage === 'codebook') return 'graph models keep shared values as float (gzip shrinks them) or under a weight mode; leave storage out';
    return undefined;
  },
  async run(options, ctx) {
    const { weights, roles } = targets(options, ctx);
    const clusters = num(options, 'clusters', 16);
    const distinct = clusterGraphWeights({ weights, roles, clusters });
    return { model: ctx.model, summary: { clusters, weights: distinct.size, storage: ctx.model.storage ?? 'as stored (shared values)' } };
  },
};

const BITS: Record<GraphWeightMode, number> = { float32: 32, float16: 16, uint8: 8, int8: 8, int4: 4 };

export const graphWeightFormat: Impl = {
  refuse: (options) => (options.encoding === 'uint16' ? 'uint16 is a Layers manifest option; graph models take float16, uint8, int8 or int4' : undefined),
  async run(options, ctx) {
    const mode = String(options.encoding) as GraphWeightMode;
    if (options.exclude !== undefined) ctx.onWarn?.('weight-format on a graph model applies to every weight; exclude is ignored');
    for (const w of ctx.model.graph.weights) {
      if (!(w.values instanceof Float32Array)) continue;
      const kernel = ctx.model.graph.roles.get(w.name)?.kind !== 'other';
      // int8/int4 act on kernels; the other float weights are stored as float16 (formats/graph/quantize.ts).
      ctx.output.weightBits[w.name] = (mode === 'int8' || mode === 'int4') && !kernel ? 16 : BITS[mode];
    }
    return { model: { ...ctx.model, storage: mode }, summary: { encoding: mode } };
  },
};
