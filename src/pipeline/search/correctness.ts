import type * as tf from '@tensorflow/tfjs';
import { batches, defaultBatchSize } from '../../data/batches.js';
import type { Dataset } from '../../data/types.js';
import { argmax, evaluateQuality, type Metric } from '../../measure/index.js';
import { readModelBack } from '../output.js';
import { datasetFeeds, planFeeds, type InputOptions } from '../../data/feeds.js';
import { formatOf } from '../../formats/index.js';
import type { LoadedModel } from '../../formats/types.js';

/** A label metric that also writes down which samples were right (measurement itself only keeps totals). */
function correctnessInto(into: Uint8Array): Metric {
  return {
    name: 'accuracy', description: 'top-1 accuracy, keeping per-sample correctness', needs: 'labels', higherIsBetter: true,
    create() {
      let n = 0;
      let right = 0;
      return {
        collect({ output, labels, rows, cols }) {
          for (let i = 0; i < rows; i++) {
            const ok = argmax(output, i, cols) === labels![i];
            into[n + i] = ok ? 1 : 0;
            if (ok) right++;
          }
          n += rows;
        },
        compute: () => (n ? right / n : NaN),
      };
    },
  };
}

/**
 * Per-sample top-1 correctness (1 = right) of a model on labelled data, batched as measureWritten batches it, so
 * the input model's vector matches the reference pass of every trial's measurement sample for sample.
 */
export async function perSampleCorrectness(o: { model: tf.LayersModel; data: Dataset; batchSize?: number }): Promise<Uint8Array> {
  const into = new Uint8Array(o.data.count);
  const inputShape = o.model.inputs[0]?.shape ?? [];
  await evaluateQuality({
    model: o.model, metrics: [correctnessInto(into)], batches: batches(o.data, { batchSize: o.batchSize ?? defaultBatchSize(o.data), inputShape }),
  });
  return into;
}

/** The same for a written model, read back as a user would load it (clustered weights decoded, int8 layers). */
export async function writtenCorrectness(o: { modelJsonPath: string; data: Dataset; batchSize?: number }): Promise<Uint8Array> {
  const loaded = await readModelBack(o.modelJsonPath);
  try {
    return await perSampleCorrectness({ model: loaded.model, data: o.data, batchSize: o.batchSize });
  } finally {
    loaded.model.dispose();
  }
}

/**
 * The first output of a model of any format on the first `data.count` samples, through its adapter's runner with
 * feeds planned from its declared inputs, batched as measureModel batches a dataset.
 */
export async function modelOutputs(o: { loaded: LoadedModel; data: Dataset; inputs?: InputOptions; batchSize?: number }): Promise<{ data: Float32Array; rows: number; cols: number }> {
  const adapter = formatOf(o.loaded);
  const plan = await planFeeds(o.loaded.source, adapter.inputs(o.loaded), o.inputs);
  const runner = await adapter.runner(o.loaded);
  const parts: Float32Array[] = [];
  let rows = 0;
  try {
    const step = plan.fixedBatch ?? o.batchSize ?? defaultBatchSize(o.data);
    const count = plan.fixedBatch ? o.data.count - (o.data.count % plan.fixedBatch) : o.data.count;
    for (let start = 0; start < count; start += step) {
      const end = Math.min(start + step, count);
      const { outputs } = await runner.run(datasetFeeds(plan, o.data, { start, end }));
      const t = outputs[runner.outputs[0]!.name]!;
      parts.push(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number));
      rows += end - start;
    }
  } finally {
    await runner.dispose();
  }
  const data = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  return { data, rows, cols: rows ? data.length / rows : 0 };
}

/** Per-sample top-1 correctness of a model of any format (its first output is the class scores). */
export async function adapterCorrectness(o: { loaded: LoadedModel; data: Dataset; inputs?: InputOptions; batchSize?: number }): Promise<Uint8Array> {
  const out = await modelOutputs(o);
  const into = new Uint8Array(o.data.count);
  for (let i = 0; i < out.rows; i++) into[i] = argmax(out.data, i, out.cols) === o.data.labels![i] ? 1 : 0;
  return into;
}
