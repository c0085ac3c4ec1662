import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError, isShrinkmlError } from '../../core/errors.js';
import { computeMagnitudeMasks, layersModelTargets, maskSparsity, parsePruneSpec, PolynomialDecay, runPruneStep, type LayerMatcher, type PruneSpec } from '../../prune/index.js';
import type { SparsityOverride } from '../../prune/magnitude.js';
import { trainSeeded } from '../../train/index.js';
import { BATCH_SIZE, EPOCHS, LAYER_LIST, LEARNING_RATE, LR_SCHEDULE, checkLayerValues, layerMap, layerValues, layersAt, learningRateSchedule, num, offLayers, toMatchers } from './shared.js';
import { onnxPrune } from './onnx.js';
import { MAX_LEVEL, type LayerLevels, type PipelineStep } from './types.js';
import { graphPrune } from './graph.js';

/**
 * The fraction a layer keeps doubles with each fallback level: 95% sparsity → 90% → 80% → dense. Each level costs
 * about twice the non-zeros, so levels are comparable steps in size across layers.
 */
export function relaxedSparsity(sparsity: number, level: number): number {
  return Math.max(0, 1 - (1 - sparsity) * 2 ** level);
}

/**
 * Per-layer sparsity overrides for the fallback levels. Under global magnitude pruning each layer's own sparsity
 * is whatever the shared threshold gives it (small, important layers far less than the target), so levels are
 * applied to that effective sparsity, and once any layer is relaxed every layer gets its own override: taking a
 * big layer out of the pool must not push the shared threshold onto the small ones.
 */
async function overridesFor(spec: PruneSpec, levels: LayerLevels, model: tf.LayersModel, exclude: LayerMatcher[], seed: number): Promise<SparsityOverride[]> {
  const softened = layersAt(levels, (l) => l > 0 && l < MAX_LEVEL);
  if (spec.kind === 'structured') return softened.map((layer) => ({ match: layer, sparsity: spec.ratio / 2 ** levels[layer]! }));
  if (spec.kind !== 'magnitude') return []; // N:M has no softer setting; a relaxed layer is excluded instead (see run).
  if (spec.scope !== 'global' || layersAt(levels, (l) => l > 0).length === 0) {
    return softened.map((layer) => ({ match: layer, sparsity: relaxedSparsity(spec.sparsity, levels[layer]!) }));
  }
  const targets = layersModelTargets(model, exclude);
  const masks = await computeMagnitudeMasks({ weights: targets, sparsity: spec.sparsity, scope: 'global', criterion: spec.criterion, seed });
  return targets.filter((t) => (levels[t.layer] ?? 0) < MAX_LEVEL)
    .map((t) => ({ match: t.layer, sparsity: relaxedSparsity(maskSparsity(masks.get(t.name)!), levels[t.layer] ?? 0) }));
}

/** The `layers` option: exact per-layer sparsities (magnitude methods), ahead of the level overrides (first match wins). */
function perLayer(spec: PruneSpec, options: Record<string, unknown>): SparsityOverride[] {
  if (spec.kind !== 'magnitude') return [];
  return Object.entries(layerMap(options)).map(([layer, sparsity]) => ({ match: layer, sparsity }));
}

export const pruneStep: PipelineStep = {
  name: 'prune',
  phase: 'train',
  description: 'magnitude (per layer or global), N:M or structured pruning, then fine-tuning with the masks held',
  schema: {
    type: 'object', required: ['method'],
    properties: {
      method: { type: 'string', description: 'a --prune spec: magnitude:0.9[:global], 2:4, structured:0.5 (optionally :l1|:l2|:random)' },
      finetuneEpochs: EPOCHS,
      learningRate: LEARNING_RATE,
      batchSize: BATCH_SIZE,
      schedule: { type: 'string', enum: ['oneshot', 'polynomial'], description: 'prune before fine-tuning, or gradually during it (TFMOT polynomial decay)' },
      lrSchedule: LR_SCHEDULE,
      exclude: LAYER_LIST,
      layers: layerValues('sparsity (magnitude methods)'),
    },
  },
  check(options, path) {
    checkLayerValues(options.layers, `${path}.layers`, { min: 0, max: 0.999 });
    try {
      parsePruneSpec(String(options.method));
    } catch (e) {
      if (isShrinkmlError(e)) throw new ShrinkmlError('BAD_INPUT', `${path}.method: ${e.message}`, { subject: `${path}.method`, suggestion: e.suggestion });
      throw e;
    }
    toMatchers(options.exclude, `${path}.exclude`);
  },
  formats: {
    layers: {
      needs: (options, quick) => (!quick && num(options, 'finetuneEpochs', 0) > 0 ? 'train' : 'none'),
      async run(options, ctx) {
        const spec = parsePruneSpec(String(options.method));
        const nmRelaxed = spec.kind === 'nm' ? layersAt(ctx.levels, (l) => l > 0) : [];
        const userExclude = toMatchers(options.exclude, 'exclude');
        const exclude = [...userExclude, ...offLayers(ctx.levels), ...nmRelaxed];
        const epochs = ctx.quick ? 0 : num(options, 'finetuneEpochs', 0);
        const batchSize = num(options, 'batchSize', 128);
        const train = epochs > 0 ? await ctx.data.get('train', 'pruning fine-tuning') : undefined;
        const gradual = options.schedule === 'polynomial' && train && spec.kind === 'magnitude';
        const steps = train ? Math.ceil(train.count / batchSize) * epochs : 0;
        const learningRate = num(options, 'learningRate', 1e-3);
        const result = await runPruneStep({
          model: ctx.model, spec, exclude, overrides: [...perLayer(spec, options), ...await overridesFor(spec, ctx.levels, ctx.model, userExclude, ctx.seed)], seed: ctx.seed,
          // Gradual: reach the target after two thirds of the steps, then train at it (TFMOT's usual recipe).
          schedule: gradual ? new PolynomialDecay({
            initialSparsity: 0, finalSparsity: spec.sparsity, beginStep: 0, endStep: Math.max(1, Math.floor((steps * 2) / 3)),
            frequency: Math.max(1, Math.floor(steps / 30)),
          }) : undefined,
          finetune: train ? {
            epochs, train, batchSize, seed: ctx.seed, learningRate,
            trainer: (t) => trainSeeded({ ...t, schedule: learningRateSchedule(options.lrSchedule, learningRate, epochs), signal: ctx.signal }),
          } : undefined,
          onProgress: ctx.onProgress, onWarn: ctx.onWarn,
        });
        const r = result.report;
        return {
          model: result.model as tf.LayersModel,
          summary: {
            spec: r.spec, sparsity: r.sparsity.after, params: r.params.after, nonzeroParams: r.nonzeroParams.after,
            finetuneEpochs: epochs, excluded: exclude.map(String), finetune: r.finetune, warnings: r.warnings, note: r.speedNote,
          },
        };
      },
    },
    graph: graphPrune,
    onnx: onnxPrune,
  },
};
