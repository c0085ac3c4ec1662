import { affineParams, qRange, type QParams } from '../core/numerics.js';

/** Activations are int8, full range, asymmetric (docs/numerics.md "Choosing scale and zero point"). */
export const ACTIVATION_RANGE = qRange({ dtype: 'int8' });

/** Range of the finite values (NaN and ±Infinity do not widen it; NaN still quantizes to the zero point). */
export function finiteRange(values: ArrayLike<number>): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) { if (v !== -Infinity) min = v; } else if (v > max && v !== Infinity) max = v;
  }
  return { min, max };
}

/** Dynamic mode: activation parameters of one batch, from its own range. */
export function dynamicParams(values: ArrayLike<number>): QParams {
  return affineParams({ ...finiteRange(values), range: ACTIVATION_RANGE });
}

/** 1.5 · 2^52: adding and subtracting it rounds a double to an integer, ties to even (|x| < 2^51). */
const ROUND = 6755399441055744;

/**
 * Quantizes rows of `rowLength` floats to int8 and packs them four to an int32 word (each row padded
 * separately with 0 bytes), in one pass: the activation operand of MatMulInt8 / Conv2DInt8. The arithmetic is
 * numerics.ts's quantizeValue written out for speed (this loop is on the inference path; the tests hold it equal):
 * f32(x / scale), clamped to the codes' range (which also tames ±Infinity), rounded half to even by the
 * 1.5 · 2^52 trick, plus the zero point; NaN gives the zero point. Bytes are written little-endian, which is
 * the packing on every engine we support.
 */
export function quantizePack(values: ArrayLike<number>, params: QParams, rowLength: number): Int32Array {
  const { scale, zeroPoint } = params;
  const lo = ACTIVATION_RANGE.qmin - zeroPoint;
  const hi = ACTIVATION_RANGE.qmax - zeroPoint;
  const words = Math.ceil(rowLength / 4);
  const rows = values.length / rowLength;
  const out = new Int32Array(rows * words);
  const bytes = new Int8Array(out.buffer);
  for (let r = 0; r < rows; r++) {
    const src = r * rowLength;
    const dst = r * words * 4;
    for (let i = 0; i < rowLength; i++) {
      let t = Math.fround(values[src + i]! / scale);
      if (t > hi) t = hi;
      else if (t < lo) t = lo;
      else if (t !== t) t = 0;
      bytes[dst + i] = t + ROUND - ROUND + zeroPoint;
    }
  }
  return out;
}
