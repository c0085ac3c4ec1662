/** Helpers shared by the metrics: rows of a row-major batch, argmax, and probabilities. */

export function argmax(data: Float32Array, row: number, cols: number): number {
  const base = row * cols;
  let best = 0;
  for (let j = 1; j < cols; j++) if (data[base + j] > data[base + best]) best = j;
  return best;
}

/** Tolerance on a row's sum for it to count as a probability distribution already. */
export const PROB_SUM_TOLERANCE = 1e-3;

/**
 * True when every row is non-negative and sums to 1 within 1e-3, i.e. the model ends in softmax. Decided per
 * batch: a logit batch that happened to pass is a distribution anyway, so the metric stays well defined.
 */
export function isProbabilities(data: Float32Array, rows: number, cols: number): boolean {
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      if (!(v >= 0)) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > PROB_SUM_TOLERANCE) return false;
  }
  return true;
}

/** The batch as probabilities (float64): unchanged if it already is, else a numerically stable softmax per row. */
export function toProbabilities(data: Float32Array, rows: number, cols: number): Float64Array {
  const out = Float64Array.from(data);
  if (isProbabilities(data, rows, cols)) return out;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, out[base + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += (out[base + j] = Math.exp(out[base + j] - max));
    for (let j = 0; j < cols; j++) out[base + j] /= sum;
  }
  return out;
}

export function requireReference(name: string, batch: { reference?: Float32Array }): Float32Array {
  if (!batch.reference) throw new Error(`metric ${name} needs reference outputs`);
  return batch.reference;
}
