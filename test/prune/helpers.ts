import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../src/prune/rng.js';

/** Deterministic weights: uniform in [−0.5, 0.5]; BN variances positive so the model is well defined. */
export function randomizeWeights(model: tf.LayersModel, seed = 1): void {
  const rnd = seededRandom(seed);
  for (const layer of model.layers) {
    if (!layer.weights.length) continue;
    layer.setWeights(layer.weights.map((w) => {
      const variance = /moving_variance/.test(w.originalName);
      const size = w.shape.reduce<number>((p, d) => p * (d as number), 1);
      return tf.tensor(Float32Array.from({ length: size }, () => (variance ? 0.5 + rnd() : rnd() - 0.5)), w.shape as number[]);
    }));
  }
}

/**
 * Zero every weight of `channels` on the last axis of a layer's kernel: their output becomes a constant. Their
 * bias is set to `bias` (positive, so a ReLU passes it and dropping the channel without folding would show).
 */
export function zeroOutChannels(model: tf.LayersModel, layerName: string, channels: number[], bias = 0.3): void {
  const layer = model.getLayer(layerName);
  const v = layer.weights.find((w) => w.originalName.endsWith('/kernel'))!;
  const b = layer.weights.find((w) => w.originalName.endsWith('/bias'));
  const last = v.shape[v.shape.length - 1] as number;
  const mask = Float32Array.from({ length: last }, (_, i) => (channels.includes(i) ? 0 : 1));
  const set = Float32Array.from({ length: last }, (_, i) => (channels.includes(i) ? bias : 0));
  tf.tidy(() => {
    v.write(tf.mul(v.read(), tf.tensor1d(mask)));
    if (b) b.write(tf.add(tf.mul(b.read(), tf.tensor1d(mask)), tf.tensor1d(set)));
  });
}

export function randomInput(shape: number[], seed = 7): tf.Tensor {
  const rnd = seededRandom(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rnd() * 2 - 1), shape);
}

/** Save to memory and load back with stock tfjs: what a user of the pruned file would do. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

export async function predictArray(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const y = model.predict(x) as tf.Tensor;
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Infinity;
}
