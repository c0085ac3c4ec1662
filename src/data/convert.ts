import { ShrinkmlError } from '../core/errors.js';
import type { RawSet } from './types.js';

/** A decoded array from either parser. */
export interface DecodedArray {
  shape: number[];
  dtype: string;
  data: ArrayLike<number>;
}

function bad(file: string, problem: string, suggestion?: string): ShrinkmlError {
  return new ShrinkmlError('BAD_INPUT', `${file}: ${problem}`, { subject: file, suggestion });
}

const isInteger = (dtype: string) => dtype.startsWith('int') || dtype.startsWith('uint');

/**
 * Turns a decoded input array into samples. Integer data are pixels in 0..255 and are scaled by 1/255; float data
 * are taken as already scaled. Shapes: [N,F] stays flat; [N,H,W] gains a channel; [N,H,W,C] is kept, unless it is
 * plainly channels-first ([N,C,H,W] with C ≤ 4 < W), which is transposed to height × width × channels.
 */
export function inputsFrom(arr: DecodedArray, file: string, asStored = false): Omit<RawSet, 'labels' | 'files'> {
  const [n, ...rest] = arr.shape;
  // Not pixels (token ids, features of an input fed by name): the values and dims exactly as saved.
  if (asStored && n !== undefined && rest.length > 0) return { values: arr.data, divisor: 1, count: n, sampleShape: rest };
  if (n === undefined || rest.length === 0 || rest.length > 3) {
    throw bad(file, `inputs must have shape [N,features], [N,H,W] or [N,H,W,C]; got [${arr.shape.join(',')}]`);
  }
  if (isInteger(arr.dtype) && arr.dtype !== 'uint8') {
    for (let i = 0; i < arr.data.length; i++) {
      const v = arr.data[i]!;
      if (v < 0 || v > 255) throw bad(file, `integer inputs must be pixels in 0..255; found ${v} at index ${i}`, 'save floats already scaled to the range your model expects');
    }
  }
  if (!isInteger(arr.dtype)) {
    for (let i = 0; i < arr.data.length; i++) {
      if (!Number.isFinite(arr.data[i]!)) throw bad(file, `non-finite input value ${arr.data[i]} at index ${i}`);
    }
  }
  const divisor = isInteger(arr.dtype) ? 255 : 1;
  if (rest.length === 1) return { values: arr.data, divisor, count: n, sampleShape: rest };
  if (rest.length === 2) return { values: arr.data, divisor, count: n, sampleShape: [rest[0]!, rest[1]!, 1] };
  const [a, b, c] = rest as [number, number, number];
  if (a <= 4 && c > 4) {
    // Channels-first: with one channel the bytes are already in HWC order; otherwise move the channel last.
    const values = a === 1 ? arr.data : chwToHwc(arr.data, n, a, b, c);
    return { values, divisor, count: n, sampleShape: [b, c, a] };
  }
  return { values: arr.data, divisor, count: n, sampleShape: rest };
}

function chwToHwc(data: ArrayLike<number>, n: number, c: number, h: number, w: number): Float64Array {
  const out = new Float64Array(data.length);
  const size = c * h * w;
  for (let s = 0; s < n; s++) {
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * w; p++) out[s * size + p * c + ch] = data[s * size + ch * h * w + p]!;
    }
  }
  return out;
}

/** Turns a decoded label array ([N] or [N,1] of integers, or of floats holding integers) into class indices. */
export function labelsFrom(arr: DecodedArray, file: string): Int32Array {
  const { shape } = arr;
  if (shape.length === 2 && shape[1]! > 1) {
    throw bad(file, `labels must be class indices of shape [N]; got [${shape.join(',')}] (one-hot?)`, 'save labels as arr.argmax(axis=1)');
  }
  if (shape.length < 1 || shape.length > 2) throw bad(file, `labels must have shape [N]; got [${shape.join(',')}]`);
  const out = new Int32Array(shape[0]!);
  for (let i = 0; i < out.length; i++) {
    const v = arr.data[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw bad(file, `labels must be non-negative integers; found ${v} at index ${i}`);
    }
    out[i] = v;
  }
  return out;
}

/** Pairs inputs with labels, checking the counts agree and naming both files when they do not. */
export function pairSet(inputs: Omit<RawSet, 'labels' | 'files'>, inputFile: string, labels?: Int32Array, labelFile?: string): RawSet {
  if (labels && labels.length !== inputs.count) {
    throw new ShrinkmlError('BAD_INPUT', `${labelFile}: ${labels.length} labels for ${inputs.count} samples in ${inputFile}`, { subject: labelFile });
  }
  return { ...inputs, labels, files: labelFile ? [inputFile, labelFile] : [inputFile] };
}

/** Number of classes implied by a set's labels. */
export function classCount(labels?: Int32Array): number | undefined {
  if (!labels || labels.length === 0) return undefined;
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  return max + 1;
}
