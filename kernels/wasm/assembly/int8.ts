// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// int8 × int8 → int32 GEMM with zero points and per-channel float rescale (docs/numerics.md "Integer matmul").
// Activations are first widened to int16 with their zero point removed (a - zA ∈ [-255, 255]), so one
// i32x4.dot_i16x8_s per 8 MACs is exact and no Σw correction pass over the (large) weights is needed.

/**
 * a16[m, k] = a[m, k] - zA for k < K, 0 for K <= k < lda (lda a multiple of 8); sums[m] = Σ_k a16[m, k].
 * `a` holds int8 rows `strideA` bytes apart (packed int32 words reinterpreted as bytes).
 */
export function widenRows(a: usize, strideA: i32, M: i32, K: i32, zA: i32, a16: usize, lda: i32, sums: usize): void {
  for (let m = 0; m < M; m++) {
    const src = a + <usize>(m * strideA);
    const dst = a16 + (<usize>(m * lda) << 1);
    let s = 0;
    for (let k = 0; k < K; k++) {
      const v = <i32>load<i8>(src + <usize>k) - zA;
      store<i16>(dst + (<usize>k << 1), <i16>v);
      s += v;
    }
    for (let k = K; k < lda; k++) store<i16>(dst + (<usize>k << 1), 0);
    store<i32>(sums + (<usize>m << 2), s);
  }
}

/**
 * Conv2D im2col into widened rows: row (b, oh, ow), column (fh, fw, c) — the order of a [FH, FW, Ci, Co] filter
 * transposed to [Co, FH·FW·Ci]. Out-of-image taps are real 0, i.e. a - zA = 0.
 */
export function im2colRows(x: usize, pixelStride: i32, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, zA: i32, a16: usize, lda: i32,
  sums: usize): void {
  im2colRange(x, pixelStride, H, W, C, OH, OW, FH, FW, sh, sw, pt, pl, dh, dw, zA, a16, lda, sums, 0, B * OH * OW);
}

/** im2colRows for rows [r0, r1) only (row r at a16 + r·lda·2, its sum at sums + r·4): one thread's share. */
export function im2colRange(x: usize, pixelStride: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, zA: i32, a16: usize, lda: i32,
  sums: usize, r0: i32, r1: i32): void {
  for (let row = r0; row < r1; row++) {
    const ow = row % OW;
    const rest = row / OW;
    const oh = rest % OH;
    const b = rest / OH;
    const dst = a16 + (<usize>(row * lda) << 1);
    let k = 0, s = 0;
    for (let fh = 0; fh < FH; fh++) {
      const ih = oh * sh - pt + fh * dh;
      for (let fw = 0; fw < FW; fw++) {
        const iw = ow * sw - pl + fw * dw;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
          for (let c = 0; c < C; c++) store<i16>(dst + (<usize>(k + c) << 1), 0);
        } else {
          const src = x + <usize>(((b * H + ih) * W + iw) * pixelStride);
          for (let c = 0; c < C; c++) {
            const v = <i32>load<i8>(src + <usize>c) - zA;
            store<i16>(dst + (<usize>(k + c) << 1), <i16>v);
            s += v;
          }
        }
        k += C;
      }
    }
    for (; k < lda; k++) store<i16>(dst + (<usize>k << 1), 0);
    store<i32>(sums + (<usize>row << 2), s);
  }
}

function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** Scalar tail of a dot product for k in [k0, K). */
function tail(ap: usize, wp: usize, k0: i32, K: i32): i32 {
  let s = 0;
  for (let k = k0; k < K; k++) s += <i32>load<i16>(ap + (<usize>k << 1)) * <i32>load<i8>(wp + <usize>k);
  return s;
}

/**
 * The epilogue (docs/numerics.md "Requantization"): y = f32(acc - zW[n]·Σa16[m]) · f32(sA · sW[n]) + bias[n],
 * clamped to [lo, hi] (ReLU / ReLU6; ±Infinity for none). oScale = 0: y is stored as float32 at out[m·ldo + n].
 * Otherwise y is requantized to the next layer's int8 grid, q = clamp(nearest(y / oScale), -128 - oZp, 127 - oZp)
 * + oZp (the division the unfused path's QuantizeInt8 does, so both give the same codes), stored as a byte at
 * out + m·ldo + n.
 */
function finish(acc: i32, m: i32, n: i32, out: usize, ldo: i32, sA: f32, sW: usize, bias: usize, zW: usize,
  sums: usize, lo: f32, hi: f32, oScale: f32, oZp: i32): void {
  if (zW != 0) acc -= load<i32>(zW + (<usize>n << 2)) * load<i32>(sums + (<usize>m << 2));
  let y = <f32>acc * (sA * load<f32>(sW + (<usize>n << 2)));
  if (bias != 0) y += load<f32>(bias + (<usize>n << 2));
  if (y < lo) y = lo;
  if (y > hi) y = hi;
  if (oScale == 0) {
    store<f32>(out + (<usize>(m * ldo + n) << 2), y);
    return;
  }
  store<i8>(out + <usize>(m * ldo + n), <i8>requant(y, oScale, oZp));
}

/** clamp(nearest(y / s), -128 - z, 127 - z) + z; NaN → z (docs/numerics.md). */
export function requant(y: f32, s: f32, z: i32): i32 {
  let r = nearest<f32>(y / s);
  if (r != r) return z;
  const lo = <f32>(<i32>-128 - z), hi = <f32>(<i32>127 - z);
  if (r < lo) r = lo;
  if (r > hi) r = hi;
  return <i32>r + z;
}

/** Zeroes the pad bytes [N, ldo) of every int8 output row (packed rows are padded to whole words with 0). */
function zeroPads(out: usize, M: i32, N: i32, ldo: i32): void {
  if (ldo == N) return;
  for (let m = 0; m < M; m++) memory.fill(out + <usize>(m * ldo + N), 0, <usize>(ldo - N));
}

/**
 * out[m, n] (float32, or int8 when oScale != 0: see finish) for a16 [M, lda] (int16, zero point removed) and w [N, K] int8 rows `ldw` bytes apart.
 * Register blocks: 4 rows × 2 channels, then 1 row × 4 channels (batch 1 streams 4 weight rows at once).
 * Only the first K & ~7 bytes of a weight row are read with vectors, so no load crosses the row's end.
 */
export function gemmI8(a16: usize, lda: i32, w: usize, ldw: i32, M: i32, N: i32, K: i32, out: usize, ldo: i32,
  sA: f32, sW: usize, bias: usize, zW: usize, sums: usize, lo: f32, hi: f32, oScale: f32, oZp: i32): void {
  if (oScale != 0) zeroPads(out, M, N, ldo);
  const K8 = K & ~7;
  const rowA = <usize>lda << 1;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const a0 = a16 + <usize>m * rowA, a1 = a0 + rowA, a2 = a1 + rowA, a3 = a2 + rowA;
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      const w0 = w + <usize>(n * ldw), w1 = w0 + <usize>ldw;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      for (let k = 0; k < K8; k += 8) {
        const kw = <usize>k, ka = <usize>k << 1;
        const v0 = v128.load8x8_s(w0 + kw), v1 = v128.load8x8_s(w1 + kw);
        const x0 = v128.load(a0 + ka), x1 = v128.load(a1 + ka), x2 = v128.load(a2 + ka), x3 = v128.load(a3 + ka);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, v0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, v1));
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, v0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, v1));
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x2, v0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x2, v1));
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x3, v0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x3, v1));
      }
      finish(hsum(c00) + tail(a0, w0, K8, K), m, n, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
      finish(hsum(c01) + tail(a0, w1, K8, K), m, n + 1, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
      finish(hsum(c10) + tail(a1, w0, K8, K), m + 1, n, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
      finish(hsum(c11) + tail(a1, w1, K8, K), m + 1, n + 1, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
      finish(hsum(c20) + tail(a2, w0, K8, K), m + 2, n, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
      finish(hsum(c21) + tail(a2, w1, K8, K), m + 2, n + 1, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
      finish(hsum(c30) + tail(a3, w0, K8, K), m + 3, n, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
      finish(hsum(c31) + tail(a3, w1, K8, K), m + 3, n + 1, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
    }
    for (; n < N; n++) {
      for (let r = 0; r < 4; r++) gemmRow(a0 + <usize>r * rowA, w, ldw, m + r, n, n + 1, K, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
    }
  }
  for (; m < M; m++) gemmRow(a16 + <usize>m * rowA, w, ldw, m, 0, N, K, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
}

/** One activation row against channels [n0, n1): 4 weight rows per pass, then one at a time. */
function gemmRow(ap: usize, w: usize, ldw: i32, m: i32, n0: i32, n1: i32, K: i32, out: usize, ldo: i32, sA: f32,
  sW: usize, bias: usize, zW: usize, sums: usize, lo: f32, hi: f32, oScale: f32, oZp: i32): void {
  const K8 = K & ~7;
  let n = n0;
  for (; n + 4 <= n1; n += 4) {
    const w0 = w + <usize>(n * ldw), w1 = w0 + <usize>ldw, w2 = w1 + <usize>ldw, w3 = w2 + <usize>ldw;
    let c0 = i32x4.splat(0), c1 = i32x4.splat(0), c2 = i32x4.splat(0), c3 = i32x4.splat(0);
    for (let k = 0; k < K8; k += 8) {
      const kw = <usize>k;
      const x = v128.load(ap + (kw << 1));
      c0 = i32x4.add(c0, i32x4.dot_i16x8_s(x, v128.load8x8_s(w0 + kw)));
      c1 = i32x4.add(c1, i32x4.dot_i16x8_s(x, v128.load8x8_s(w1 + kw)));
      c2 = i32x4.add(c2, i32x4.dot_i16x8_s(x, v128.load8x8_s(w2 + kw)));
      c3 = i32x4.add(c3, i32x4.dot_i16x8_s(x, v128.load8x8_s(w3 + kw)));
    }
    finish(hsum(c0) + tail(ap, w0, K8, K), m, n, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
    finish(hsum(c1) + tail(ap, w1, K8, K), m, n + 1, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
    finish(hsum(c2) + tail(ap, w2, K8, K), m, n + 2, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
    finish(hsum(c3) + tail(ap, w3, K8, K), m, n + 3, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
  }
  for (; n < n1; n++) {
    const w0 = w + <usize>(n * ldw);
    let c0 = i32x4.splat(0);
    for (let k = 0; k < K8; k += 8) {
      c0 = i32x4.add(c0, i32x4.dot_i16x8_s(v128.load(ap + (<usize>k << 1)), v128.load8x8_s(w0 + <usize>k)));
    }
    finish(hsum(c0) + tail(ap, w0, K8, K), m, n, out, ldo, sA, sW, bias, zW, sums, lo, hi, oScale, oZp);
  }
}
