import { clusterValues, expandClustered } from '../../cluster/index.js';
import { datasetFeeds, planFeeds } from '../../data/feeds.js';
import { pairStates, runStream } from '../../data/stream.js';
import type { LoadedOnnxModel } from '../../formats/types.js';
import { toNumber } from '../../formats/onnx/proto.js';
import { pruneChannelsOnnx } from '../../onnx/channels.js';
import { onnxQuantizeMode } from '../../onnx/modes.js';
import { upgradeOpset } from '../../onnx/opset/upgrade.js';
import { pruneOnnx } from '../../onnx/prune.js';
import { parsePruneSpec } from '../../prune/index.js';
import { matchesAny } from '../../prune/targets.js';
import type { ObserverName } from '../../quantize/index.js';
import { layerMap, num, offLayers, toMatchers } from './shared.js';
import type { AdapterStepContext, AdapterStepResult, StepImpl } from './types.js';

/**
 * The ONNX implementations of the pipeline's steps: each calls an ONNX pass (src/onnx) on the working copy and puts
 * the new ModelProto in place. Exclusions name ONNX nodes. ONNX models are not trained here: steps that would
 * fine-tune refuse, as one line, before anything runs.
 */
type Ctx = AdapterStepContext<LoadedOnnxModel>;
type Impl = StepImpl<Ctx, AdapterStepResult<LoadedOnnxModel>>;

const NO_TRAINING = 'ONNX models are compressed one-shot (no fine-tuning); set finetuneEpochs to 0';

function excluded(options: Record<string, unknown>, ctx: Ctx): string[] {
  return [...((options.exclude as string[] | undefined) ?? []), ...offLayers(ctx.levels)];
}

function opsetOf(m: LoadedOnnxModel): number {
  const entry = (m.model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return toNumber(entry?.version);
}

const replaced = (ctx: Ctx, model: LoadedOnnxModel['model']): LoadedOnnxModel => ({ ...ctx.model, model });

export const onnxPrune: Impl = {
  refuse(options) {
    if (typeof options.method !== 'string') return undefined; // the schema requires it; checked there
    const spec = parsePruneSpec(options.method);
    if (spec.kind === 'nm') return `N:M pruning (${String(options.method)}) is for tfjs; use magnitude:S[:global] or structured:R`;
    if (num(options, 'finetuneEpochs', 0) > 0) return NO_TRAINING;
    return undefined;
  },
  async run(options, ctx) {
    const spec = parsePruneSpec(String(options.method));
    const exclude = excluded(options, ctx);
    if (spec.kind === 'structured') {
      const { model, report } = pruneChannelsOnnx(ctx.model.model, { fraction: spec.ratio, exclude });
      return { model: replaced(ctx, model), summary: { spec: String(options.method), channels: report } };
    }
    if (spec.kind !== 'magnitude') throw new Error('unreachable: refused above');
    const { model, report } = pruneOnnx(ctx.model.model, { sparsity: spec.sparsity, scope: spec.scope, exclude });
    const size = report.weights.reduce((a, w) => a + w.size, 0);
    const zeros = report.weights.reduce((a, w) => a + w.zeros, 0);
    return { model: replaced(ctx, model), summary: { spec: String(options.method), sparsity: size ? zeros / size : 0, weights: report.weights } };
  },
};

/** Runs an ONNX quantize mode, upgrading the opset first when the model is below what the mode's ops need. */
async function quantize(mode: string, options: Record<string, unknown>, ctx: Ctx): Promise<AdapterStepResult<LoadedOnnxModel>> {
  const info = onnxQuantizeMode(mode);
  let model = ctx.model.model;
  let upgrade: { from: number; to: number; rewritten: Record<string, number> } | undefined;
  if (opsetOf(ctx.model) < info.minOpset) {
    const up = upgradeOpset(model, info.minOpset, { file: ctx.model.source });
    model = up.model;
    upgrade = { from: up.from, to: up.to, rewritten: up.rewritten };
  }
  let calibration;
  if (info.needsCalibration) {
    const dataset = await ctx.data.get('calibration', `${mode} quantization`);
    const limit = typeof options.calibSamples === 'number' ? Math.min(options.calibSamples, dataset.count) : dataset.count;
    const view = { ...ctx.model, model };
    const plan = await planFeeds(ctx.model.source, ctx.adapter.inputs(view), ctx.inputs);
    const pairs = pairStates(ctx.model.source, plan, ctx.adapter.outputs(view), ctx.inputs?.state);
    const batchSize = plan.fixedBatch ?? 32;
    const batches = [];
    if (pairs.length) {
      // State inputs are calibrated on the states the float model reaches over the frames, not on zeros.
      const runner = await ctx.adapter.runner(view);
      try {
        for await (const { feeds } of runStream({ runner, plan, pairs, dataset, range: { start: 0, end: limit }, carry: {} })) batches.push(feeds);
      } finally {
        await runner.dispose();
      }
    }
    for (let start = 0; !pairs.length && start + (plan.fixedBatch ?? 1) <= limit; start += batchSize) {
      batches.push(datasetFeeds(plan, dataset, { start, end: Math.min(start + batchSize, limit) }));
    }
    // The fallbacks' measurements feed a recurrent model's state back (src/onnx/weight-sensitivity.ts).
    const state = pairs.length ? Object.fromEntries(pairs.map((p) => [p.input, p.output])) : undefined;
    calibration = { batches, total: limit, state, observer: options.observer as ObserverName | undefined, onProgress: ctx.onProgress };
  }
  const result = await info.run(model, {
    perChannel: typeof options.perChannel === 'boolean' ? options.perChannel : undefined,
    exclude: excluded(options, ctx), calibration, onWarn: ctx.onWarn,
    target: options.target === 'webgpu' ? 'webgpu' : undefined,
  });
  for (const w of result.report.weights?.weights ?? []) ctx.output.weightBits[w.weight] = w.bits;
  const notes = [...(upgrade ? [`opset upgraded from ${upgrade.from} to ${upgrade.to} for ${mode} (${Object.entries(upgrade.rewritten).map(([op, n]) => `${op}×${n}`).join(', ') || 'no node rewritten'})`] : []), ...result.notes];
  return { model: replaced(ctx, result.model), summary: { mode, ...result.report, opsetUpgrade: upgrade, notes } };
}

export const onnxPtq: Impl = {
  needs: (options) => (options.mode === 'dynamic' ? 'none' : 'calibration'),
  run: (options, ctx) => quantize(options.mode === 'dynamic' ? 'dynamic' : 'static', options, ctx),
};

export const onnxWeightFormat: Impl = {
  refuse: (options) => (options.encoding === 'uint16' ? 'uint16 storage is a tfjs manifest encoding; ONNX takes float16, uint8, int8 or int4' : undefined),
  run: (options, ctx) => quantize(`weights:${String(options.encoding)}`, options, ctx),
};

/**
 * k-means weight sharing of every kernel (Conv, Gemm, MatMul, recurrent weights), one-shot: the shared values are
 * written back as float32, so the file keeps its size and gzip does the shrinking (no codebook format in ONNX).
 */
export const onnxCluster: Impl = {
  refuse(options) {
    if (num(options, 'finetuneEpochs', 0) > 0) return NO_TRAINING;
    if (options.storage === 'codebook') return 'ONNX has no codebook storage; use storage "uint8" (shared float values, gzip shrinks them) or leave storage out';
    return undefined;
  },
  async run(options, ctx) {
    const clusters = num(options, 'clusters', 16);
    const exclude = [...toMatchers(options.exclude, 'exclude'), ...offLayers(ctx.levels)];
    const shared: string[] = [];
    for (const w of ctx.adapter.weights(ctx.model)) {
      if (w.role !== 'kernel' || matchesAny(w.node, exclude) || w.shape.reduce((a, b) => a * b, 1) < clusters * 4) continue;
      const c = clusterValues({ name: w.name, shape: w.shape, values: await w.read(), clusters: layerMap(options)[w.node] ?? clusters });
      w.write(expandClustered(c));
      ctx.output.weightBits[w.name] = c.bits;
      shared.push(w.name);
    }
    return { model: ctx.model, summary: { clusters, weights: shared.length, storage: 'float32 (shared values)' } };
  },
};
