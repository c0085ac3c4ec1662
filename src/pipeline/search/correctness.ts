import type * as tf from '@tensorflow/tfjs';
import { batches } from '../../data/batches.js';
import type { Dataset } from '../../data/types.js';
import { argmax, evaluateQuality, type Metric } from '../../measure/index.js';
import { readModelBack } from '../output.js';

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
    model: o.model, metrics: [correctnessInto(into)], batches: batches(o.data, { batchSize: o.batchSize ?? 256, inputShape }),
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
