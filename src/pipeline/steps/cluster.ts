import * as tf from '@tensorflow/tfjs';
import { readValues } from '../../core/read.js';
import { clusterModel, MAX_CLUSTERS, MIN_CLUSTERS, SharedCentroids, type ClusterOverride } from '../../cluster/index.js';
import { affineQuantize } from '../../formats/encode.js';
import { cloneModel } from '../../prune/index.js';
import { layersModelTargets } from '../../prune/targets.js';
import { trainSeeded } from '../../train/index.js';
import { BATCH_SIZE, EPOCHS, LAYER_LIST, LEARNING_RATE, LR_SCHEDULE, checkLayerValues, layerMap, layerValues, layersAt, learningRateSchedule, num, offLayers, toMatchers } from './shared.js';
import { onnxCluster } from './onnx.js';
import { MAX_LEVEL, type OutputPlan, type PipelineStep } from './types.js';
import { graphCluster } from './graph.js';

/** Each fallback level doubles a layer's codes (one more index bit), up to 64. */
export function relaxedClusters(clusters: number, level: number): number {
  return Math.min(MAX_CLUSTERS, clusters * 2 ** level);
}

/**
 * Weight sharing: k-means per kernel, fine-tuned with shared centroids (pruned zeros keep a code of their own and
 * stay zero). `storage: codebook` writes codebook + index streams (smallest; read by shrinkml's loader);
 * `storage: uint8` expands the shared values into a stock tfjs uint8 manifest (zero-dependency output).
 */
export const clusterStep: PipelineStep = {
  name: 'cluster',
  phase: 'cluster',
  description: 'weight sharing: per-layer k-means to 16–64 values (≤ 6-bit indices), fine-tuned with shared centroids',
  schema: {
    type: 'object',
    properties: {
      clusters: { type: 'number', integer: true, min: MIN_CLUSTERS, max: MAX_CLUSTERS, description: 'codes per layer, pinned zero included (16–64 useful)' },
      finetuneEpochs: EPOCHS,
      learningRate: LEARNING_RATE,
      lrSchedule: LR_SCHEDULE,
      batchSize: BATCH_SIZE,
      storage: { type: 'string', enum: ['codebook', 'uint8'], description: 'codebook + packed indices (shrinkml loader) or a stock-loadable uint8 manifest' },
      restEncoding: { type: 'string', enum: ['float32', 'float16'], description: 'how the weights left unclustered (biases, excluded layers) are stored; default float16' },
      exclude: LAYER_LIST,
      layers: layerValues('codes'),
    },
  },
  check(options, path) {
    toMatchers(options.exclude, `${path}.exclude`);
    checkLayerValues(options.layers, `${path}.layers`, { min: MIN_CLUSTERS, max: MAX_CLUSTERS, integer: true });
  },
  formats: {
    layers: {
      needs: (options, quick) => (!quick && num(options, 'finetuneEpochs', 0) > 0 ? 'train' : 'none'),
      async run(options, ctx) {
        const clusters = num(options, 'clusters', 16);
        const storage = options.storage === 'uint8' ? 'uint8' : 'codebook';
        const exclude = [...toMatchers(options.exclude, 'exclude'), ...offLayers(ctx.levels)];
        const overrides: ClusterOverride[] = layersAt(ctx.levels, (l) => l > 0 && l < MAX_LEVEL)
          .map((layer) => ({ match: layer, clusters: relaxedClusters(layerMap(options)[layer] ?? clusters, ctx.levels[layer]!) }));
        for (const [layer, k] of Object.entries(layerMap(options))) if (!overrides.some((o) => o.match === layer)) overrides.push({ match: layer, clusters: k });
        const model = await cloneModel(ctx.model);
        try {
          const weights = await clusterModel({ model, clusters, overrides, exclude, onWarn: ctx.onWarn });
          const epochs = ctx.quick ? 0 : num(options, 'finetuneEpochs', 0);
          let history: Awaited<ReturnType<typeof trainSeeded>> | undefined;
          if (epochs > 0 && weights.length) {
            const shared = new SharedCentroids(model, weights);
            const learningRate = num(options, 'learningRate', 2e-4);
            history = await trainSeeded({
              model, train: await ctx.data.get('train', 'cluster fine-tuning'), epochs, batchSize: num(options, 'batchSize', 128),
              seed: ctx.seed, learningRate, schedule: learningRateSchedule(options.lrSchedule, learningRate, epochs), onProgress: ctx.onProgress, signal: ctx.signal,
              callbacks: { onBatchEnd: () => shared.afterBatch() },
            });
          }
          for (const w of weights) {
            if (storage === 'codebook') {
              ctx.output.clusters[w.name] = w;
              ctx.output.weightBits[w.name] = w.bits;
            } else {
              ctx.output.encodings[w.name] = 'uint8';
              ctx.output.weightBits[w.name] = 8;
            }
          }
          // uint8: the model in memory must be what the manifest decodes to (shared values moved onto the uint8 grid).
          if (storage === 'uint8') await snapToUint8(model, new Set(weights.map((w) => w.name)));
          // Biases and excluded layers are a few percent of the file once the kernels are shared; float16 halves them.
          const rest = options.restEncoding === 'float32' ? [] : storeRestAsFloat16(model, ctx.output, new Set(weights.map((w) => w.name)));
          return {
            model,
            summary: {
              storage, clusters, finetuneEpochs: epochs, excluded: exclude.map(String), float16: rest,
              layers: weights.map((w) => ({ weight: w.name, codes: w.codebook.length, bits: w.bits, zeroCode: w.zeroCode })),
              finetune: history?.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, acc: e.acc, seconds: e.seconds })),
            },
          };
        } catch (e) {
          model.dispose();
          throw e;
        }
      },
    },
    graph: graphCluster,
    onnx: onnxCluster,
  },
};

/** Replace each weight by what tf.io.decodeWeights will read back from its uint8 encoding (q · scale + min). */
async function snapToUint8(model: tf.LayersModel, names: Set<string>): Promise<void> {
  for (const t of layersModelTargets(model)) {
    if (!names.has(t.name)) continue;
    const values = await readValues(t.read());
    const { q, scale, min } = affineQuantize(values, 255);
    const decoded = Float32Array.from(q, (v) => v * scale + min);
    tf.tidy(() => t.write(tf.tensor(decoded, t.shape, 'float32')));
  }
}

/** Mark every float32 weight that is not clustered for float16 storage (stock tfjs decodes it); returns their names. */
function storeRestAsFloat16(model: tf.LayersModel, output: OutputPlan, clustered: Set<string>): string[] {
  const names: string[] = [];
  for (const v of model.weights) {
    if (v.dtype !== 'float32' || clustered.has(v.originalName) || output.encodings[v.originalName]) continue;
    output.encodings[v.originalName] = 'float16';
    output.weightBits[v.originalName] = 16;
    names.push(v.originalName);
  }
  // The model in memory keeps float32 biases; every measurement reads the saved model back, so it sees float16.
  return names;
}
