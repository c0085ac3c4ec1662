import { unpackInt8 } from '../../src/core/numerics.js';

export interface MatMulInt8RefArgs {
  /** Packed int8 activations [M, ceil(K/4)] and weights [N, ceil(K/4)] (docs/numerics.md "Packing"). */
  a: ArrayLike<number>;
  w: ArrayLike<number>;
  m: number; n: number; k: number;
  aScale: number; aZeroPoint: number;
  wScale: ArrayLike<number>;
  wZeroPoint?: ArrayLike<number>;
  bias?: ArrayLike<number>;
}

const f32 = Math.fround;

/** y[m, n] = f32(Σ_k (a - zA)(w - zW[n])) · f32(sA · sW[n]) + bias[n], exact int32 accumulation. */
export function matMulInt8Ref(r: MatMulInt8RefArgs): Float32Array {
  const a = unpackInt8(r.a, { rowLength: r.k });
  const w = unpackInt8(r.w, { rowLength: r.k });
  const out = new Float32Array(r.m * r.n);
  for (let n = 0; n < r.n; n++) {
    const zW = r.wZeroPoint?.[n] ?? 0;
    const s = f32(f32(r.aScale) * f32(r.wScale[n]!));
    for (let m = 0; m < r.m; m++) {
      let acc = 0;
      for (let k = 0; k < r.k; k++) acc += (a[m * r.k + k]! - r.aZeroPoint) * (w[n * r.k + k]! - zW);
      out[m * r.n + n] = f32(f32(f32(acc) * s) + (r.bias?.[n] ?? 0));
    }
  }
  return out;
}
