import type { Dataset } from '../data/types.js';
import { graphInputs } from '../formats/onnx/decode.js';
import type { ModelProto } from '../formats/onnx/proto.js';
import { encodeOnnx } from '../formats/onnx/write.js';
import { datasetFeed } from './data.js';
import { argmaxRows } from './evaluate.js';
import { runOnnx, type HostTensor } from './runtime.js';

/**
 * The check every written model goes through: both models run in onnxruntime on the same inputs (dataset samples,
 * or seeded uniform [0, 1) values when there is no data), first outputs compared.
 */
export interface VerifyResult {
  samples: number;
  /** Largest |reference - candidate| over the first output. */
  maxAbsError: number;
  /** Fraction of rows whose argmax agrees (last axis of the first output). */
  top1Agreement: number;
}

export async function verifyOnnx(options: {
  reference: ModelProto; candidate: ModelProto; dataset?: Dataset; samples?: number;
  /** How onnxruntime's refusals name the two models (the input file, the output being built). */
  labels?: { reference: string; candidate: string };
}): Promise<VerifyResult | undefined> {
  const inputs = graphInputs(options.reference, 'reference');
  if (inputs.length !== 1 || inputs[0]!.dtype !== 'float') return undefined;
  const input = inputs[0]!;
  const n = Math.min(options.samples ?? 64, options.dataset?.count ?? Infinity);
  let feed: HostTensor;
  if (options.dataset) {
    feed = datasetFeed(options.dataset, input, { start: 0, end: n });
  } else {
    const dims = input.shape.map((d, i) => (i === 0 ? n : d));
    if (dims.some((d) => typeof d !== 'number')) return undefined;
    const size = (dims as number[]).reduce((a, b) => a * b, 1);
    let s = 0x9e3779b9;
    const data = Float32Array.from({ length: size }, () => { s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0; return s / 2 ** 32; });
    feed = { data, dims: dims as number[] };
  }
  const feeds = { [input.name]: feed };
  const labels = options.labels ?? { reference: 'reference', candidate: 'candidate' };
  const [a, b] = await Promise.all([
    runOnnx({ bytes: encodeOnnx(options.reference), feeds, session: { label: labels.reference } }),
    runOnnx({ bytes: encodeOnnx(options.candidate), feeds, session: { label: labels.candidate } }),
  ]);
  const name = options.reference.graph!.output![0]!.name!;
  const x = a[name]!;
  const y = b[name]!;
  const xs = Float32Array.from(x.data as Float32Array);
  const ys = Float32Array.from(y.data as Float32Array);
  let maxAbsError = 0;
  for (let i = 0; i < xs.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(xs[i]! - ys[i]!));
  const row = x.dims[x.dims.length - 1] ?? 1;
  const ax = argmaxRows(xs, row);
  const ay = argmaxRows(ys, row);
  return { samples: n, maxAbsError, top1Agreement: ax.filter((c, i) => c === ay[i]).length / ax.length };
}
