import { fromFloat16, toFloat16 } from '../formats/encode.js';

export { fromFloat16 };

/**
 * float16 storage of the int8 layers' per-channel scales and biases. The values are rounded at conversion time
 * with the same encoder saveLayersModel uses for `float16` manifest entries, so the model in memory, the one saved
 * and the one loaded back compute the same numbers.
 */

/** Largest finite float16, and the smallest normal one (below it relative precision degrades). */
export const FLOAT16_MAX = 65504;
export const FLOAT16_MIN_NORMAL = 2 ** -14;

/** Each value rounded to the nearest float16 (ties to even), as float32: what a float16 manifest entry loads as. */
export function roundToFloat16(values: ArrayLike<number>): Float32Array {
  return fromFloat16(toFloat16(Float32Array.from(values)));
}

/** Whether storing the values as float16 loses nothing (each already is a float16 value). */
export function isFloat16Exact(values: ArrayLike<number>): boolean {
  const f = Float32Array.from(values);
  const back = roundToFloat16(f);
  return f.every((v, i) => Object.is(v, back[i]));
}

export interface StoredParams { values: Float32Array; float16: boolean }

/**
 * Per-channel weight scales as the int8 layers store them: rounded to float16 when every scale lies in its normal
 * range (relative error ≤ 2^-11, far below the weights' own rounding of up to half a code); else kept float32
 * (tiny scales would lose precision as float16 subnormals).
 */
export function storedScales(scales: Float32Array): StoredParams {
  const fits = scales.every((s) => s >= FLOAT16_MIN_NORMAL && s <= FLOAT16_MAX);
  return fits ? { values: roundToFloat16(scales), float16: true } : { values: scales, float16: false };
}

/**
 * Biases as the int8 layers store them: rounded to float16 unless one would overflow it. Error per value
 * ≤ max(2^-11·|b|, 2^-25): tiny biases become subnormals, an absolute error far below the outputs' quantization.
 */
export function storedBias(bias: Float32Array): StoredParams {
  const fits = bias.every((b) => Math.abs(b) <= FLOAT16_MAX);
  return fits ? { values: roundToFloat16(bias), float16: true } : { values: bias, float16: false };
}
