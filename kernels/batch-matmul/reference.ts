const f32 = Math.fround;

/** out[m, n] = Σ_k a[k, m] · b[k, n] in k order, float32 multiply then float32 add: Aᵀ·B for a [K, M], b [K, N]. */
export function matMulTNRef(a: ArrayLike<number>, b: ArrayLike<number>, K: number, M: number, N: number): Float32Array {
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = f32(s + f32(a[k * M + m]! * b[k * N + n]!));
      out[m * N + n] = s;
    }
  }
  return out;
}
