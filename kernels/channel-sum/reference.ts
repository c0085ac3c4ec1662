const f32 = Math.fround;

/**
 * Sum (or Mean) of x over `axes`, each output summed in float32 from 0 over its elements in row-major order, then
 * divided by their count for a mean: what tfjs-backend-wasm computes (it transposes the reduced axes innermost,
 * keeping their order, and runs a float loop).
 */
export function reduceSumRef(x: { shape: number[]; values: ArrayLike<number> }, axes: number[], mean: boolean,
  keepDims: boolean): { shape: number[]; values: Float32Array } {
  const rank = x.shape.length;
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const outShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const acc = new Float32Array(outSize);
  const coords = new Array<number>(rank).fill(0);
  for (let i = 0; i < x.values.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) o = o * outShape[d]! + (reduced.has(d) ? 0 : coords[d]!);
    acc[o] = f32(acc[o]! + x.values[i]!);
    for (let d = rank - 1; d >= 0; d--) { if (++coords[d]! < x.shape[d]!) break; coords[d] = 0; }
  }
  const count = x.values.length / outSize;
  const values = mean ? acc.map((s) => f32(s / count)) : acc;
  return { shape: keepDims ? outShape : x.shape.filter((_, i) => !reduced.has(i)), values };
}
