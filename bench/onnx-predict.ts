/** The benches' ONNX prediction loop (one float input), kept out of the library: src/measure is the one measurement path. */
import type { InferenceSession } from 'onnxruntime-node';
import { ShrinkmlError } from '../src/core/errors.js';
import type { ProgressFn } from '../src/core/progress.js';
import type { Dataset } from '../src/data/types.js';
import type { OnnxValueInfo } from '../src/formats/types.js';
import { datasetFeed } from '../src/onnx/data.js';
import { createSession, runSession } from '../src/onnx/runtime.js';
import { argmaxRows } from '../src/onnx/data.js';
export { argmaxRows };
import { decodeOnnx, graphInputs } from '../src/formats/onnx/decode.js';

export interface PredictOnnxOptions {
  session: InferenceSession;
  /** The graph input fed with the dataset (the model's only input). */
  input: OnnxValueInfo;
  dataset: Dataset;
  batchSize?: number;
  /** Output to read (default: the first). */
  output?: string;
  onProgress?: ProgressFn;
}

/** Runs a dataset through an onnxruntime session; returns the chosen output rows, concatenated. */
export async function predictOnnx(options: PredictOnnxOptions): Promise<{ values: Float32Array; rowSize: number }> {
  const { session, input, dataset } = options;
  const batchSize = options.batchSize ?? 256;
  const output = options.output ?? session.outputNames[0]!;
  const parts: Float32Array[] = [];
  let rowSize = 0;
  for (let start = 0; start < dataset.count; start += batchSize) {
    const end = Math.min(start + batchSize, dataset.count);
    const result = await runSession(session, { [input.name]: datasetFeed(dataset, input, { start, end }) }, [output]);
    const out = result[output]!;
    rowSize = out.data.length / (end - start);
    parts.push(Float32Array.from(out.data as Float32Array));
    options.onProgress?.({ phase: 'evaluate', done: end, total: dataset.count });
  }
  const values = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { values.set(p, at); at += p.length; }
  return { values, rowSize };
}

/** Top-1 accuracy of an onnxruntime session on a labelled dataset. */
export async function onnxAccuracy(options: PredictOnnxOptions): Promise<number> {
  const labels = options.dataset.labels;
  if (!labels) throw new ShrinkmlError('BAD_INPUT', `data '${options.dataset.name}' has no labels; accuracy needs them`, { subject: options.dataset.name });
  const { values, rowSize } = await predictOnnx(options);
  const predicted = argmaxRows(values, rowSize);
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / predicted.length;
}

/** Accuracy of a model's bytes on a labelled dataset: creates and releases the session (the `eval` path). */
export async function evaluateOnnx(options: { bytes: Uint8Array; dataset: Dataset; batchSize?: number; onProgress?: ProgressFn; label?: string }): Promise<{ accuracy: number; count: number }> {
  const label = options.label ?? 'model';
  const { model } = decodeOnnx(options.bytes, label, { allowNonFinite: true });
  const inputs = graphInputs(model, label);
  if (inputs.length !== 1) {
    throw new ShrinkmlError('UNSUPPORTED', `${label}: evaluation feeds one input; the model has ${inputs.length}`, { subject: label });
  }
  const session = await createSession(options.bytes, { label });
  try {
    const accuracy = await onnxAccuracy({ session, input: inputs[0]!, dataset: options.dataset, batchSize: options.batchSize, onProgress: options.onProgress });
    return { accuracy, count: options.dataset.count };
  } finally {
    await session.release();
  }
}
