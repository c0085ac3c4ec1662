import { unpackInt8 } from '../../src/core/numerics.js';

const f32 = Math.fround;

/** y[m, n] = f32(f32(Σ_k x·w, in double) · wScale[n]) + bias[n]. Kernels sum in float32: compare with a tolerance. */
export function matMulInt8WeightOnlyRef(r: { x: ArrayLike<number>; w: ArrayLike<number>; m: number; n: number; k: number;
  wScale: ArrayLike<number>; bias?: ArrayLike<number> }): Float32Array {
  const w = unpackInt8(r.w, { rowLength: r.k });
  const out = new Float32Array(r.m * r.n);
  for (let m = 0; m < r.m; m++) {
    for (let n = 0; n < r.n; n++) {
      let acc = 0;
      for (let k = 0; k < r.k; k++) acc += r.x[m * r.k + k]! * w[n * r.k + k]!;
      out[m * r.n + n] = f32(f32(f32(acc) * f32(r.wScale[n]!)) + (r.bias?.[n] ?? 0));
    }
  }
  return out;
}
