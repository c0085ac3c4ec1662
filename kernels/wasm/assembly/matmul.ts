// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// float32 matmul for BatchMatMul, which tfjs-backend-wasm runs on a scalar loop (a Dense layer's gradients:
// xᵀ·dy for the weights, dy·Wᵀ for the input).

/**
 * out[m, n] = Σ_k A[m, k] · b[k, n] for rows m in [m0, m1), b [K, N] and out [M, N] row-major; A[m, k] is at byte
 * a + m·sam + k·sak (Aᵀ·B: sam 4, sak 4M; A·B: sam 4K, sak 4). Every sum in k order with a separate multiply and
 * add (no FMA), so the result equals the plain loop bit for bit, whatever the row range (kernel threads split rows).
 * Register block 4 × 8, then 1 × 8, then scalar columns.
 */
export function matmulF32(a: usize, sam: usize, sak: usize, b: usize, out: usize, K: i32, M: i32, N: i32, m0: i32,
  m1: i32): void {
  const N8 = N & ~7;
  const rowB = <usize>N << 2;
  let m = m0;
  for (; m + 4 <= m1; m += 4) {
    for (let n = 0; n < N8; n += 8) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let ap = a + <usize>m * sam, bp = b + (<usize>n << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp), b1 = v128.load(bp, 16);
        const x0 = f32x4.splat(load<f32>(ap)), x1 = f32x4.splat(load<f32>(ap + sam));
        const x2 = f32x4.splat(load<f32>(ap + 2 * sam)), x3 = f32x4.splat(load<f32>(ap + 3 * sam));
        c00 = f32x4.add(c00, f32x4.mul(x0, b0)); c01 = f32x4.add(c01, f32x4.mul(x0, b1));
        c10 = f32x4.add(c10, f32x4.mul(x1, b0)); c11 = f32x4.add(c11, f32x4.mul(x1, b1));
        c20 = f32x4.add(c20, f32x4.mul(x2, b0)); c21 = f32x4.add(c21, f32x4.mul(x2, b1));
        c30 = f32x4.add(c30, f32x4.mul(x3, b0)); c31 = f32x4.add(c31, f32x4.mul(x3, b1));
        ap += sak; bp += rowB;
      }
      const o = out + (<usize>(m * N + n) << 2), ld = <usize>N << 2;
      v128.store(o, c00); v128.store(o, c01, 16);
      v128.store(o + ld, c10); v128.store(o + ld, c11, 16);
      v128.store(o + 2 * ld, c20); v128.store(o + 2 * ld, c21, 16);
      v128.store(o + 3 * ld, c30); v128.store(o + 3 * ld, c31, 16);
    }
  }
  for (; m < m1; m++) {
    for (let n = 0; n < N8; n += 8) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
      let ap = a + <usize>m * sam, bp = b + (<usize>n << 2);
      for (let k = 0; k < K; k++) {
        const x = f32x4.splat(load<f32>(ap));
        c0 = f32x4.add(c0, f32x4.mul(x, v128.load(bp)));
        c1 = f32x4.add(c1, f32x4.mul(x, v128.load(bp, 16)));
        ap += sak; bp += rowB;
      }
      const o = out + (<usize>(m * N + n) << 2);
      v128.store(o, c0); v128.store(o, c1, 16);
    }
  }
  for (let mm = m0; mm < m1; mm++) {
    for (let n = N8; n < N; n++) {
      let s: f32 = 0;
      for (let k = 0; k < K; k++) s += load<f32>(a + <usize>mm * sam + <usize>k * sak) * load<f32>(b + (<usize>(k * N + n) << 2));
      store<f32>(out + (<usize>(mm * N + n) << 2), s);
    }
  }
}

/** dst [cols, rows] = src [rows, cols]ᵀ (B·Wᵀ runs as B·(Wᵀ) with Wᵀ made once, so columns are vector lanes). */
export function transposeF32(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(dst + (<usize>(c * rows + r) << 2), load<f32>(src + (<usize>(r * cols + c) << 2)));
  }
}
