import { dequantizeValue, unpackInt8 } from '../../src/core/numerics.js';

/** unpackInt8 then dequantizeValue (src/core/numerics.ts) with the row's params; transpose writes [k, R]. */
export function dequantizeInt8Ref(r: { q: ArrayLike<number>; k: number; scale: ArrayLike<number>;
  zeroPoint: ArrayLike<number>; transpose: boolean }): Float32Array {
  const codes = unpackInt8(r.q, { rowLength: r.k });
  const rows = codes.length / r.k;
  const out = new Float32Array(codes.length);
  for (let row = 0; row < rows; row++) {
    const c = r.scale.length === 1 ? 0 : row;
    const p = { scale: Math.fround(r.scale[c]!), zeroPoint: r.zeroPoint[c]! };
    for (let i = 0; i < r.k; i++) {
      out[r.transpose ? i * rows + row : row * r.k + i] = dequantizeValue(codes[row * r.k + i]!, p);
    }
  }
  return out;
}
