import { ShrinkmlError } from '../core/errors.js';
import { planLayout, type InputShape } from '../data/shape.js';
import type { Dataset } from '../data/types.js';
import type { OnnxValueInfo } from '../formats/types.js';
import type { HostTensor } from './runtime.js';

/**
 * Dataset samples → onnxruntime feeds, without tfjs. The layout decision is src/data/shape.ts's, so `--data mnist`
 * feeds [N,784], [N,28,28,1] and [N,1,28,28] models alike; only the HWC → CHW move is done here.
 */
export function onnxInputShape(input: OnnxValueInfo): InputShape {
  // Symbolic or unknown dims other than the batch are left for planLayout to reject with its own message.
  return input.shape.map((d, i) => (i === 0 ? null : typeof d === 'number' ? d : null));
}

export function datasetFeed(dataset: Dataset, input: OnnxValueInfo, range: { start: number; end: number }): HostTensor {
  if (input.dtype !== 'float') {
    throw new ShrinkmlError('UNSUPPORTED', `model input '${input.name}' is ${input.dtype}; dataset samples feed float inputs only`, { subject: input.name });
  }
  const plan = planLayout(dataset, onnxInputShape(input));
  const size = dataset.sampleShape.reduce((a, b) => a * b, 1);
  const n = range.end - range.start;
  const values = dataset.x.subarray(range.start * size, range.end * size);
  const dims = [n, ...plan.target];
  if (!plan.transpose) return { data: values.slice(), dims };
  const [h, w, c] = plan.view as [number, number, number];
  const out = new Float32Array(values.length);
  for (let s = 0; s < n; s++) {
    const base = s * size;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
      out[base + (k * h + y) * w + x] = values[base + (y * w + x) * c + k]!;
    }
  }
  return { data: out, dims };
}

/** Top-1 class of each row of `values` (rows of `rowSize`). */
export function argmaxRows(values: Float32Array, rowSize: number): Int32Array {
  const rows = values.length / rowSize;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < rowSize; j++) if (values[r * rowSize + j]! > values[r * rowSize + best]!) best = j;
    out[r] = best;
  }
  return out;
}
