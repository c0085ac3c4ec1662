// The browser page's script for training.test.ts: the training-time API (pruning callback in fit, fine-tuning, PTQ
// with calibration, measurement) as an application bundles it, on MNIST samples the test serves.
import * as tf from '@tensorflow/tfjs';
import '../../src/runtime/index.js';
import { mulberry32 } from '../../src/data/random.js';
import type { Dataset } from '../../src/data/types.js';
import { PruningCallback, stripPruning } from '../../src/prune/callback.js';
import { PolynomialDecay } from '../../src/prune/schedules/index.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { convertToInt8 } from '../../src/quantize/convert.js';
import { DEFAULT_QUANT_CONFIG } from '../../src/quantize/config.js';

export interface TrainingReport { backend: string; sparsity: number; floatAccuracy: number; int8Accuracy: number; classes: string[]; error?: string }

async function runTraining(r: { samples: string; labels: string; count: number }): Promise<TrainingReport> {
  try {
    await tf.setBackend('cpu');
    // tfjs draws initial weights and fit's shuffling from Math.random: seeded, the run (and its accuracy) is the same
    // every time, not a draw that lands under the threshold now and then.
    Math.random = mulberry32(1);
    const x = new Float32Array(await (await fetch(r.samples)).arrayBuffer());
    const labels = new Int32Array(await (await fetch(r.labels)).arrayBuffer());
    const [xs, ys] = [tf.tensor2d(x, [r.count, 784]), tf.oneHot(tf.tensor1d(labels, 'int32'), 10)];
    const model = tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [784], units: 64, activation: 'relu', name: 'fc1' }),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'fc2' }),
    ] });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const pruning = new PruningCallback(new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.75, beginStep: 0, endStep: 30, frequency: 10 }));
    await model.fit(xs, ys, { epochs: 3, batchSize: 64, callbacks: [pruning], verbose: 0 });   // prune in fit
    await model.fit(xs, ys, { epochs: 3, batchSize: 64, callbacks: [pruning], verbose: 0 });   // fine-tune, masks held
    stripPruning(model, pruning);
    const kernel = model.getLayer('fc1').getWeights()[0]!.dataSync();
    const sparsity = kernel.reduce((n, v) => n + (v === 0 ? 1 : 0), 0) / kernel.length;
    const data: Dataset = { name: 'served', split: 'calibration', count: r.count, sampleShape: [784], x, labels, classes: 10, files: [] };
    const { ranges } = await calibrate(model, data, { samples: 256 });
    const int8 = await convertToInt8({ model, mode: 'static', config: structuredClone(DEFAULT_QUANT_CONFIG), ranges });
    const accuracy = (m: tf.LayersModel) => tf.tidy(() => tf.metrics.categoricalAccuracy(ys, m.predict(xs) as tf.Tensor).mean().dataSync()[0]!);
    return { backend: tf.getBackend(), sparsity, floatAccuracy: accuracy(model), int8Accuracy: accuracy(int8.model), classes: int8.model.layers.map((l) => l.getClassName()) };
  } catch (e) {
    return { backend: tf.getBackend(), sparsity: 0, floatAccuracy: 0, int8Accuracy: 0, classes: [], error: `${(e as Error).message}\n${(e as Error).stack}` };
  }
}

(globalThis as { runTraining?: typeof runTraining }).runTraining = runTraining;
