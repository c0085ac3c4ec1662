import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { clusterGraphWeights } from '../../cluster/graph-weights.js';
import { datasetFeeds, planFeeds } from '../../data/feeds.js';
import type { GraphWeightMode } from '../../formats/graph/index.js';
import { fromHost } from '../../formats/tensors.js';
import { calibrateGraphInt8, calibrateGraphWeights } from '../../quantize/graph-static.js';
import { compensateGraphWeights } from '../../quantize/graph-compensate.js';
import { chooseGraphInt4Bits, type GraphMixedBitsReport } from '../../quantize/graph-mixed-bits.js';
import type { ObserverName } from '../../quantize/index.js';
import type { LoadedGraphModel } from '../../formats/types.js';
import { pruneGraphWeights } from '../../prune/graph-weights.js';
import { parsePruneSpec } from '../../prune/index.js';
import { matchesAny } from '../../prune/targets.js';
import { layerMap, num, offLayers, toMatchers } from './shared.js';
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

/**
 * The working copy without the excluded weights, for the passes that act on every kernel. An exclusion names a weight
 * or a node that reads it (`conv2d_1/Conv2D`, `/block1_/`): converted graphs often name weights `unknown_26`, their
 * nodes after the layers.
 */
function targets(options: Record<string, unknown>, ctx: Ctx) {
  const exclude = [...toMatchers(options.exclude, 'exclude'), ...offLayers(ctx.levels)];
  const readers = (name: string) => (ctx.model.graph.roles.get(name)?.readers ?? []).map((r) => r.slice(r.indexOf(':') + 1));
  const weights = ctx.model.graph.weights.filter((w) => !matchesAny(w.name, exclude) && !readers(w.name).some((n) => matchesAny(n, exclude)));
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
    if (options.storage === 'codebook') return 'graph models keep shared values as float (gzip shrinks them) or as uint8 codes (storage "uint8"); no codebook storage';
    return undefined;
  },
  async run(options, ctx) {
    const { weights, roles } = targets(options, ctx);
    const clusters = num(options, 'clusters', 16);
    const per = layerMap(options);
    const byCount = new Map<number, typeof weights>();
    for (const w of weights) {
      const k = per[w.name] ?? clusters;
      byCount.set(k, [...(byCount.get(k) ?? []), w]);
    }
    let distinct = 0;
    for (const [k, group] of byCount) distinct += clusterGraphWeights({ weights: group, roles, clusters: k }).size;
    // uint8: per-tensor affine codes, stock-loadable; k shared values take at most k codes, so gzip sees ~log2(k) bits each.
    const model = options.storage === 'uint8' ? { ...ctx.model, storage: 'uint8' as const } : ctx.model;
    return { model, summary: { clusters, layers: Object.keys(per).length ? per : undefined, weights: distinct, storage: model.storage ?? 'as stored (shared values)' } };
  },
};

const BITS: Record<GraphWeightMode, number> = { float32: 32, float16: 16, uint8: 8, int8: 8, int4: 4 };

/**
 * Samples weights:int8/int4 calibrate on when `--data` is given: the per-channel means of bias correction settle
 * within a few dozen images; GPTQ's E[x xᵀ] gains little past that on these model sizes (the Gram is subsampled).
 */
const WEIGHT_CALIBRATION_SAMPLES = 64;

/**
 * Weight modes. With `--data`, int8/int4 also calibrate (quantize/graph-static.ts calibrateGraphWeights) on the
 * original float graph: GPTQ rounding (int4) and bias correction (both) are applied when the graph is written
 * (formats/graph/correction.ts), still stock-loadable; int4 then picks the kernels kept int8 by their measured effect
 * on the outputs (quantize/graph-mixed-bits.ts). Without data they stay data-free.
 */
export const graphWeightFormat: Impl = {
  refuse: (options) => (options.encoding === 'uint16' ? 'uint16 is a Layers manifest option; graph models take float16, uint8, int8 or int4' : undefined),
  async run(options, ctx) {
    const mode = String(options.encoding) as GraphWeightMode;
    const { weights: targeted, exclude } = targets(options, ctx);
    const keepStored = new Set(ctx.model.graph.weights.filter((w) => !targeted.includes(w)).map((w) => w.name));
    const kept = (m: LoadedGraphModel): LoadedGraphModel => (keepStored.size ? { ...m, keepStored } : m);
    const excluded = keepStored.size ? { excluded: exclude.map(String), kept: [...keepStored] } : {};
    for (const w of targeted) {
      if (!(w.values instanceof Float32Array)) continue;
      const kernel = ctx.model.graph.roles.get(w.name)?.kind !== 'other';
      // int8/int4 act on kernels; the other float weights are stored as float16 (formats/graph/quantize.ts).
      ctx.output.weightBits[w.name] = (mode === 'int8' || mode === 'int4') && !kernel ? 16 : BITS[mode];
    }
    if ((mode !== 'int8' && mode !== 'int4') || !ctx.data?.available || ctx.quick) return { model: kept({ ...ctx.model, storage: mode }), summary: { encoding: mode, ...excluded } };
    const gptq = GPTQ_MODES.has(mode);
    let batches;
    try {
      batches = await calibrationBatches(ctx, WEIGHT_CALIBRATION_SAMPLES, 'weight calibration');
    } catch (e) {
      // Data the model cannot be fed (free input dims without --input-shape): the weight mode needs none.
      ctx.onWarn?.(`weights:${mode}: calibration skipped, stays data-free (${(e as Error).message.split('\n')[0]})`);
      return { model: kept({ ...ctx.model, storage: mode }), summary: { encoding: mode, ...excluded, calibration: 'none (data-free)' } };
    }
    const c = await calibratedOnce(ctx, batches.count, gptq, () => calibrateGraphWeights({ graph: ctx.model.graph, batches: batches.batches, total: batches.count, gptq, onProgress: ctx.onProgress }));
    const kernels = Object.values(c.calibration.kernels);
    let calibration = c.calibration;
    let bits: GraphMixedBitsReport | undefined;
    if (mode === 'int4') {
      // Each kernel's width (4-bit blocks, a per-channel grid, int8), by measured effect on the outputs
      // (quantize/graph-mixed-bits.ts). Cached like the statistics: it depends on the same weights and samples only.
      const m = await calibratedOnce(ctx, batches.count, gptq, () => withCalibrationFeeds(ctx, async (feeds) => {
        const t0 = performance.now();
        const r = await chooseGraphInt4Bits({ graph: ctx.model.graph, calibration: c.calibration, feeds, keepStored, onProgress: ctx.onProgress });
        return { calibration: r.calibration, seconds: (performance.now() - t0) / 1000, bits: r.report };
      }), `int4 bits keeping ${[...keepStored].sort().join(',')}`);
      calibration = m.calibration;
      bits = m.bits;
      // Each kernel fitted to the float model's output from the input the quantized model gives it
      // (quantize/graph-compensate.ts), on the widths just chosen. int4 only: on emotion calibrated int8 measured
      // KL 9e-5 → 8e-5, not worth one lockstep run per stage.
      const widths = calibration;
      const k = await calibratedOnce(ctx, batches.count, gptq, () => withCalibrationFeeds(ctx, async (feeds) => {
        const r = await compensateGraphWeights({ graph: ctx.model.graph, calibration: widths, mode, feeds, onProgress: ctx.onProgress, keepStored });
        return { calibration: r.calibration, seconds: r.report.seconds };
      }), `int4 compensation keeping ${[...keepStored].sort().join(',')}`);
      calibration = k.calibration;
    }
    return {
      model: kept({ ...ctx.model, storage: mode, calibration }),
      summary: {
        encoding: mode, ...excluded,
        calibration: {
          samples: c.calibration.samples, seconds: c.seconds, biasCorrection: kernels.length,
          gptq: gptq ? kernels.filter((k) => k.gram).length : 0,
          ...(mode === 'int4' ? { compensated: Object.values(calibration.kernels).filter((k) => k.compensation).length } : {}),
          ...(bits ? { int8Kernels: bits.int8Kernels, kernelWidths: bits.kernelWidths, bitChoice: bits.chosen, cosine: { int4: bits.int4, estimate: bits.estimate, kept: bits.after }, gzipRatio: bits.gzipRatio } : {}),
        },
      },
    };
  },
};

type WeightCalibration = Awaited<ReturnType<typeof calibrateGraphWeights>> & { bits?: GraphMixedBitsReport };

/**
 * Weight calibrations of this process by data provider, keyed by the float weights they observed: a budget search
 * screens weights:int8 and weights:int4 of the same graph on the same samples, and the statistics depend on the
 * weights and samples, not on the mode, so the second screen reuses the first's (a MobileNet's calibration is most
 * of such a trial). Read-only once computed (GPTQ factors a copy of the Gram). `what` keeps apart what is cached:
 * the statistics, and int4's bit choice made from them.
 */
const calibrations = new WeakMap<object, Map<string, Promise<WeightCalibration>>>();

function calibratedOnce(ctx: Ctx, samples: number, gptq: boolean, compute: () => Promise<WeightCalibration>, what = 'statistics'): Promise<WeightCalibration> {
  const hash = createHash('sha256').update(`${what} ${samples} ${gptq}`);
  for (const w of ctx.model.graph.weights) {
    hash.update(w.name);
    if (w.values instanceof Float32Array) hash.update(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength));
  }
  const key = hash.digest('hex');
  let byWeights = calibrations.get(ctx.data);
  if (!byWeights) calibrations.set(ctx.data, (byWeights = new Map()));
  let pending = byWeights.get(key);
  if (!pending) {
    pending = compute();
    byWeights.set(key, pending);
    pending.catch(() => byWeights!.delete(key));
  }
  return pending;
}

/** Modes whose kernels GPTQ rounds when calibrated (both: on emotion GPTQ lowers int8's KL a further 30% over bias correction). */
const GPTQ_MODES = new Set<GraphWeightMode>(['int8', 'int4']);

/** Calibration batch: a MobileNet's every activation of 8 images at 224×224 is ~0.3 GB, all held until observed. */
const CALIBRATION_BATCH = 8;

/**
 * The weight calibration's inputs again, all held at once for passes that run the model on them many times (int4's
 * measured bit choice, the error compensation; calibrateGraphWeights disposed its own batches), disposed after `use`.
 */
async function withCalibrationFeeds<T>(ctx: Ctx, use: (feeds: tf.NamedTensorMap[]) => Promise<T>): Promise<T> {
  const feeds = [...(await calibrationBatches(ctx, WEIGHT_CALIBRATION_SAMPLES, 'weight calibration')).batches].map((b) => b.feed);
  try {
    return await use(feeds);
  } finally {
    for (const f of feeds) tf.dispose(Object.values(f));
  }
}

/** The first `limit` calibration samples as batches of model inputs (tensors the calibration loop disposes). */
async function calibrationBatches(ctx: Ctx, limit: number, who: string) {
  const dataset = await ctx.data.get('calibration', who);
  const count = Math.min(limit, dataset.count);
  const inputs = ctx.adapter.inputs(ctx.model);
  const feeds = await planFeeds(ctx.model.source, inputs, ctx.inputs);
  const step = feeds.fixedBatch ?? CALIBRATION_BATCH;
  function* batches() {
    for (let start = 0; start + (feeds.fixedBatch ?? 1) <= count; start += step) {
      const end = Math.min(start + step, count);
      const host = datasetFeeds(feeds, dataset, { start, end });
      yield { feed: Object.fromEntries(inputs.map((i) => [i.name, fromHost(host[i.name]!, i.dtype)])), samples: end - start };
    }
  }
  return { batches: batches(), count };
}

/**
 * Static int8 compute (`--quantize static --data <images>`): the graph's convolutions and matmuls become shrinkml's
 * int8 graph ops (formats/graph/static-int8.ts), their input ranges calibrated with the Layers path's observers on
 * the float graph; every other weight is stored as for weights:int8. Loads with `import 'shrinkml/runtime'`.
 */
export const graphPtq: Impl = {
  needs: (options) => (options.mode === 'dynamic' ? 'none' : 'calibration'),
  refuse: (options) => (options.mode === 'dynamic'
    ? 'dynamic int8 is not built for graph models; use --quantize static with --data (int8 compute) or weights:int8'
    : options.perChannel === false ? 'graph models take per-channel int8 weights only; leave perChannel out' : undefined),
  async run(options, ctx) {
    const g = ctx.model.graph;
    const exclude = [...toMatchers(options.exclude, 'exclude'), ...offLayers(ctx.levels)];
    const { batches, count } = await calibrationBatches(ctx, typeof options.calibSamples === 'number' ? options.calibSamples : 512, 'static quantization');
    const calibration = await calibrateGraphInt8({
      graph: g, batches, total: count, observer: options.observer as ObserverName | undefined,
      exclude: (n) => matchesAny(n, exclude), onProgress: ctx.onProgress,
    });
    const plan = calibration.staticInt8.plan;
    for (const note of plan.notes) ctx.onWarn?.(`static int8: ${note}`);
    const planned = new Set(plan.ops.map((p) => p.weight));
    for (const w of g.weights) {
      if (!(w.values instanceof Float32Array)) continue;
      ctx.output.weightBits[w.name] = planned.has(w.name) || g.roles.get(w.name)?.kind !== 'other' ? 8 : 16;
    }
    return {
      model: { ...ctx.model, storage: 'int8', staticInt8: calibration.staticInt8 },
      summary: {
        mode: 'static', observer: calibration.observer, calibration: { samples: calibration.samples, seconds: calibration.seconds },
        int8Nodes: plan.ops.map((p) => `${p.kind}:${p.node}`), int8Tensors: plan.tensors.length, notes: plan.notes,
      },
    };
  },
};
