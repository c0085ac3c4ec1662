// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// int8 × int8 → int32 GEMM with zero points and per-channel float rescale (docs/numerics.md "Integer matmul"),
// and the vector epilogue every int8 kernel ends with (docs/numerics.md "Requantization").
// Activations are first widened to int16 with their zero point removed (a - zA ∈ [-255, 255]), so one
// i32x4.dot_i16x8_s per 8 MACs is exact and no Σw correction pass over the (large) weights is needed.
//
// Over-reads: vector loads may read up to 8 bytes past the end of a tensor (a weight row's last chunk, a packed
// row's last word). Those bytes are multiplied by 0 or masked, and they are inside the memory: tensors are blocks
// of the host's malloc heap, which always ends in the allocator's top chunk (the kernel threads' shared memory
// reserves the same slack after every block).

/** Lane masks: MASK_I32[n] has i32 lanes 0..n-1 set. */
@inline function maskI32(n: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n));
}

@inline function maskI16(n: i32): v128 {
  return i16x8.lt_s(i16x8(0, 1, 2, 3, 4, 5, 6, 7), i16x8.splat(<i16>n));
}

/**
 * a16[m, k] = a[m, k] - zA for k < K, 0 for K <= k < lda (lda a multiple of 8); sums[m] = Σ_k a16[m, k].
 * `a` holds int8 rows `strideA` bytes apart (packed int32 words reinterpreted as bytes). 8 codes per vector.
 */
export function widenRows(a: usize, strideA: i32, M: i32, K: i32, zA: i32, a16: usize, lda: i32, sums: usize): void {
  const za = i16x8.splat(<i16>zA);
  const K8 = K & ~7;
  const tail = maskI16(K & 7);
  for (let m = 0; m < M; m++) {
    const src = a + <usize>(m * strideA);
    const dst = a16 + (<usize>(m * lda) << 1);
    let s = i32x4.splat(0);
    let k = 0;
    for (; k < K8; k += 8) {
      const v = i16x8.sub(v128.load8x8_s(src + <usize>k), za);
      v128.store(dst + (<usize>k << 1), v);
      s = i32x4.add(s, i32x4.extadd_pairwise_i16x8_s(v));
    }
    if (k < K) {
      const v = v128.and(i16x8.sub(v128.load8x8_s(src + <usize>k), za), tail);
      v128.store(dst + (<usize>k << 1), v);
      s = i32x4.add(s, i32x4.extadd_pairwise_i16x8_s(v));
      k += 8;
    }
    for (; k < lda; k += 8) v128.store(dst + (<usize>k << 1), i32x4.splat(0));
    store<i32>(sums + (<usize>m << 2), hsum(s));
  }
}

@inline function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** [Σ c0, Σ c1, Σ c2, Σ c3]: the horizontal sums of four accumulators as one vector. */
@inline export function reduce4(c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  const t0 = i32x4.add(i32x4.shuffle(c0, c1, 0, 4, 1, 5), i32x4.shuffle(c0, c1, 2, 6, 3, 7));
  const t1 = i32x4.add(i32x4.shuffle(c2, c3, 0, 4, 1, 5), i32x4.shuffle(c2, c3, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(t0, t1, 0, 1, 4, 5), i32x4.shuffle(t0, t1, 2, 3, 6, 7));
}

@inline function lane32(p: usize, i: i32, count: i32): i32 {
  return i < count ? load<i32>(p + (<usize>i << 2)) : 0;
}

/** 4 consecutive 32-bit values from p (0 where absent: lanes ≥ count, or p = 0). */
@inline export function lanes4(p: usize, count: i32): v128 {
  if (p == 0) return i32x4.splat(0);
  return count == 4 ? v128.load(p) : i32x4(lane32(p, 0, count), lane32(p, 1, count), lane32(p, 2, count), lane32(p, 3, count));
}

/** Rows (output pixels) per pass of gemmI8 and convI8: their accumulators stay in cache for the epilogue. */
export const ROWS = 64;

/** 1.5·2^23: adding it rounds a float in [-2^22, 2^22] to an integer (ties to even), which its low bits hold. */
export const ROUNDER: f32 = 12582912.0;
export const ROUNDER_BITS: i32 = 0x4b400000;

/** round(v) + zOut, NaN → zOut, for v already clamped into [-128 - zOut, 127 - zOut] (rounder, bits: ROUNDER splats). */
@inline export function roundCode(v: v128, rounder: v128, bits: v128, zv: v128): v128 {
  return i32x4.add(v128.and(i32x4.sub(f32x4.add(v, rounder), bits), f32x4.eq(v, v)), zv);
}

/**
 * roundCode for a v that cannot be NaN (see finiteTerms), in two instructions instead of five: bz = ROUNDER_BITS -
 * zOut, so the zero point is added by the same subtraction.
 */
@inline export function roundCodeFinite(v: v128, rounder: v128, bz: v128): v128 {
  return i32x4.sub(f32x4.add(v, rounder), bz);
}

/**
 * Whether the epilogue's y = f32(acc)·sc + bias, divided by oScale and clamped to finite bounds, can never be NaN:
 * with every lane of sc and bias finite and oScale finite, y is finite or ±∞ (an int32 accumulator times a finite
 * scale, plus a finite bias), y / oScale likewise, and the clamp makes it finite. Then the NaN → zOut masking of
 * roundCode has nothing to do.
 */
@inline export function finiteTerms(sc: v128, bias: v128, oScale: f32): bool {
  const zero = f32x4.splat(0);
  return oScale - oScale == 0 && i32x4.all_true(f32x4.eq(f32x4.sub(sc, sc), zero))
    && i32x4.all_true(f32x4.eq(f32x4.sub(bias, bias), zero));
}

/**
 * The clamp bounds [L, H] of the epilogue, as lanes 0 and 1: for int8 output (oScale ≠ 0) the float clamp [lo, hi]
 * and the code range folded into one clamp of y / oScale, [max(lo/oScale, -128 - oZp), min(hi/oScale, 127 - oZp)]
 * (see epilogueRows); when they do not overlap, every y clamps to lo or hi and so quantizes to the code range end
 * on hi/oScale's side, both bounds that end. Float output (oScale = 0): [lo, hi]. One vector, not two results,
 * because AssemblyScript has no tuples; @inline, so the extracts fold away.
 */
@inline export function epilogueBounds(lo: f32, hi: f32, oScale: f32, oZp: i32): v128 {
  if (oScale == 0) return f32x4(lo, hi, 0, 0);
  const qmin = <f32>(<i32>-128 - oZp), qmax = <f32>(<i32>127 - oZp);
  let lq = max(lo / oScale, qmin), hq = min(hi / oScale, qmax);
  if (lq > hq) hq = lq = hi / oScale < qmin ? qmin : qmax;
  return f32x4(lq, hq, 0, 0);
}

/**
 * The epilogue (docs/numerics.md "Requantization") of `rows` rows of int32 accumulators, `ldAcc` bytes apart, N
 * channels: y = clamp(f32(acc) · f32(sA · sW[n]) + bias[n], lo, hi); pmax/pmin are exactly
 * `if (y < lo) y = lo; if (y > hi) y = hi` (NaN and -0 kept), and an absent bias adds -0, which changes nothing.
 * Float output (oScale = 0): row i's floats at out + i·ob + 4n.
 * Int8 output: q = clamp(nearest(y / oScale), -128 - oZp, 127 - oZp) + oZp, NaN → oZp, as src/core/numerics.ts's
 * quantizeValue, computed as round(clamp(y / oScale, L, H)) + oZp: division by oScale > 0 is monotonic, so
 * clamp(y, lo, hi) / oScale = clamp(y / oScale, lo / oScale, hi / oScale), and clamping before rounding to integer
 * bounds gives the same integer, so both clamps are one, to [L, H] = [max(lo/oScale, -128 - oZp),
 * min(hi/oScale, 127 - oZp)]; within it, adding 1.5·2^23 rounds to nearest, ties to even. Pad lanes (channels
 * ≥ N) get L = H = -oZp, i.e. the code 0 packed rows are padded with. Row i's bytes at out + i·ob + n.
 * Channels run in groups of 4, the rows inside, the output kind chosen outside the loop, and few constants, passed
 * through memory: V8 sinks pure vector constants into loops and recomputes them there, but not loads.
 * acc: ROWS·ldAcc bytes, then 128 bytes for those constants.
 */
export function epilogueRows(acc: usize, ldAcc: usize, rows: i32, N: i32, sA: f32, sW: usize, bias: usize,
  out: usize, ob: usize, lo: f32, hi: f32, oScale: f32, oZp: i32): void {
  let n0 = 0;
  if (oScale != 0) n0 = epiloguePairs(acc, ldAcc, rows, N, sA, sW, bias, out, ob, lo, hi, oScale, oZp);
  for (; n0 < N; n0 += 4) {
    const count = min(4, N - n0);
    const nb = <usize>n0 << 2;
    const sc = f32x4.mul(f32x4.splat(sA), lanes4(sW + nb, count));
    const bv = bias != 0 ? lanes4(bias + nb, count) : f32x4.splat(-0.0);
    let a = acc + nb;
    if (oScale != 0) {
      const bounds = epilogueBounds(lo, hi, oScale, oZp);
      const qlo = f32x4.extract_lane(bounds, 0), qhi = f32x4.extract_lane(bounds, 1);
      const real = maskI32(count), pad = f32x4.splat(<f32>-oZp);
      // Through memory: loads stay before the loop, so the constants live in registers (see above).
      const k = acc + <usize>ROWS * ldAcc;
      v128.store(k, sc);
      v128.store(k, bv, 16);
      v128.store(k, v128.bitselect(f32x4.splat(qlo), pad, real), 32);
      v128.store(k, v128.bitselect(f32x4.splat(qhi), pad, real), 48);
      v128.store(k, f32x4.splat(oScale), 64);
      v128.store(k, i32x4.splat(oZp), 80);
      v128.store(k, f32x4.splat(ROUNDER), 96);
      v128.store(k, i32x4.splat(ROUNDER_BITS), 112);
      const scv = v128.load(k), bvv = v128.load(k, 16), lv = v128.load(k, 32), hv = v128.load(k, 48);
      const sv = v128.load(k, 64), zv = v128.load(k, 80), rounder = v128.load(k, 96), bits = v128.load(k, 112);
      let d = out + <usize>n0;
      // With NaN masking whether or not the terms are finite: after epiloguePairs only channel tails (< 8) and
      // non-finite groups come here, too few for a second loop to pay for its bytes.
      for (let i = 0; i < rows; i++) {
        const y = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(v128.load(a)), scv), bvv);
        const v = f32x4.pmin(f32x4.pmax(f32x4.div(y, sv), lv), hv);
        const q = roundCode(v, rounder, bits, zv);
        const h = i16x8.narrow_i32x4_s(q, q);
        v128.store32_lane(d, i8x16.narrow_i16x8_s(h, h), 0);
        a += ldAcc;
        d += ob;
      }
    } else {
      const k = acc + <usize>ROWS * ldAcc;
      v128.store(k, sc);
      v128.store(k, bv, 16);
      v128.store(k, f32x4.splat(lo), 32);
      v128.store(k, f32x4.splat(hi), 48);
      const scv = v128.load(k), bvv = v128.load(k, 16), lov = v128.load(k, 32), hiv = v128.load(k, 48);
      let d = out + (<usize>n0 << 2);
      for (let i = 0; i < rows; i++) {
        const y = f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(v128.load(a)), scv), bvv), lov), hiv);
        if (count == 4) {
          v128.store(d, y);
        } else {
          v128.store32_lane(d, y, 0);
          if (count > 1) v128.store32_lane(d, y, 1, 4);
          if (count > 2) v128.store32_lane(d, y, 2, 8);
        }
        a += ldAcc;
        d += ob;
      }
    }
  }
}

/**
 * epilogueRows' int8 output for channels [0, n), n a multiple of 8 (returned): 8 channels a row, while both groups'
 * terms are finite (finiteTerms), so that a row's 8 codes narrow and store at once (a third of the packing and
 * stores of one group at a time). The same arithmetic, lane for lane. Constants through memory as there, the
 * 128 bytes past the accumulators used twice. With rows = 0 it only returns that n (convI8's tile epilogue asks so).
 */
export function epiloguePairs(acc: usize, ldAcc: usize, rows: i32, N: i32, sA: f32, sW: usize, bias: usize,
  out: usize, ob: usize, lo: f32, hi: f32, oScale: f32, oZp: i32): i32 {
  const bounds = epilogueBounds(lo, hi, oScale, oZp);
  const qlo = f32x4.extract_lane(bounds, 0), qhi = f32x4.extract_lane(bounds, 1);
  const k = acc + <usize>ROWS * ldAcc;
  const sat = nearest<f32>(qlo) == <f32>(<i32>-128 - oZp) && nearest<f32>(qhi) == <f32>(<i32>127 - oZp);
  let n0 = 0;
  for (; n0 + 4 < N; n0 += 8) {
    const count = min(4, N - n0 - 4);
    const nb = <usize>n0 << 2;
    const sc0 = f32x4.mul(f32x4.splat(sA), v128.load(sW + nb)), sc1 = f32x4.mul(f32x4.splat(sA), lanes4(sW + nb + 16, count));
    const bv0 = bias != 0 ? v128.load(bias + nb) : f32x4.splat(-0.0);
    const bv1 = bias != 0 ? lanes4(bias + nb + 16, count) : f32x4.splat(-0.0);
    if (!finiteTerms(sc0, bv0, oScale) || !finiteTerms(sc1, bv1, oScale)) break;
    const real = maskI32(count), pad = f32x4.splat(<f32>-oZp);
    v128.store(k, sc0);
    v128.store(k, bv0, 16);
    v128.store(k, sc1, 32);
    v128.store(k, bv1, 48);
    v128.store(k, v128.bitselect(f32x4.splat(qlo), pad, real), 64);
    v128.store(k, v128.bitselect(f32x4.splat(qhi), pad, real), 80);
    v128.store(k, f32x4.splat(qlo), 96);
    v128.store(k, f32x4.splat(qhi), 112);
    const s0 = v128.load(k), b0 = v128.load(k, 16), s1 = v128.load(k, 32), b1 = v128.load(k, 48);
    const l1 = v128.load(k, 64), h1 = v128.load(k, 80), l0 = v128.load(k, 96), h0 = v128.load(k, 112);
    v128.store(k, f32x4.splat(oScale));
    v128.store(k, f32x4.splat(ROUNDER), 16);
    v128.store(k, i32x4.splat(ROUNDER_BITS - oZp), 32);
    const sv = v128.load(k), rounder = v128.load(k, 16), bz = v128.load(k, 32);
    let a = acc + nb, d = out + <usize>n0;
    if (sat && count == 4) {
      // [L, H] is the code range itself, [-128 - oZp, 127 - oZp] after rounding: rounding is monotonic, so
      // round(clamp(v, L, H)) = clamp(round(v), round(L), round(H)), and that clamp (with + oZp) is what the
      // saturating narrows do. The rounder needs v ≥ -2^22 (above 2^22 the sum's bits still grow with v, and
      // saturate to 127), hence the one bound left.
      const floor = f32x4.splat(-4194304.0);
      for (let i = 0; i < rows; i++) {
        const y0 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(v128.load(a)), s0), b0);
        const y1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(v128.load(a, 16)), s1), b1);
        const q0 = roundCodeFinite(f32x4.pmax(f32x4.div(y0, sv), floor), rounder, bz);
        const q1 = roundCodeFinite(f32x4.pmax(f32x4.div(y1, sv), floor), rounder, bz);
        const h = i16x8.narrow_i32x4_s(q0, q1);
        v128.store64_lane(d, i8x16.narrow_i16x8_s(h, h), 0);
        a += ldAcc;
        d += ob;
      }
      continue;
    }
    for (let i = 0; i < rows; i++) {
      const y0 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(v128.load(a)), s0), b0);
      const y1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(v128.load(a, 16)), s1), b1);
      const q0 = roundCodeFinite(f32x4.pmin(f32x4.pmax(f32x4.div(y0, sv), l0), h0), rounder, bz);
      const q1 = roundCodeFinite(f32x4.pmin(f32x4.pmax(f32x4.div(y1, sv), l1), h1), rounder, bz);
      const h = i16x8.narrow_i32x4_s(q0, q1);
      v128.store64_lane(d, i8x16.narrow_i16x8_s(h, h), 0);
      a += ldAcc;
      d += ob;
    }
  }
  return n0;
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

/**
 * out[m, n] for a16 [M, lda] (int16, zero point removed, 0 past K) and w [N, K] int8 rows `ldw` bytes apart:
 * acc = Σ_k a16·w - zW[n]·sums[m], then epilogueRows: float32 out[m·ldo + n] (oScale = 0) or int8 bytes at
 * out + m·ldo + n (ldo ≥ ceil(N/4)·4; pad bytes of the last word written 0). acc: ROWS·ceil(N/4)·16 + 128 bytes
 * of scratch. Register blocks: 2 rows × 4 channels, then 1 row × 4 channels. The chunks run over lda, not K: a16 is 0
 * past K, so the weight bytes read past a row's end (≤ 7) count for nothing and there is no scalar tail. The lanes of
 * channels past N repeat row N - 1; the epilogue does not store them.
 */
export function gemmI8(a16: usize, lda: i32, w: usize, ldw: i32, M: i32, N: i32, K: i32, out: usize, ldo: i32,
  sA: f32, sW: usize, bias: usize, zW: usize, sums: usize, lo: f32, hi: f32, oScale: f32, oZp: i32, acc: usize): void {
  const chunks = lda >> 3;
  const rowA = <usize>lda << 1;
  const ob = oScale != 0 ? <usize>ldo : <usize>ldo << 2;
  const ldAcc = <usize>((N + 3) >> 2) << 4;
  for (let m0 = 0; m0 < M; m0 += ROWS) {
    const m1 = min(M, m0 + ROWS);
    for (let n0 = 0; n0 < N; n0 += 4) {
      const w0 = w + <usize>(n0 * ldw);
      const w1 = w + <usize>(min(n0 + 1, N - 1) * ldw), w2 = w + <usize>(min(n0 + 2, N - 1) * ldw);
      const w3 = w + <usize>(min(n0 + 3, N - 1) * ldw);
      let ap = acc + (<usize>n0 << 2);
      let m = m0;
      for (; m + 2 <= m1; m += 2) {
        const a0 = a16 + <usize>m * rowA, a1 = a0 + rowA;
        let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c02 = i32x4.splat(0), c03 = i32x4.splat(0);
        let c10 = i32x4.splat(0), c11 = i32x4.splat(0), c12 = i32x4.splat(0), c13 = i32x4.splat(0);
        for (let k = 0; k < chunks; k++) {
          const kw = <usize>k << 3, ka = <usize>k << 4;
          const x0 = v128.load(a0 + ka), x1 = v128.load(a1 + ka);
          let v = v128.load8x8_s(w0 + kw);
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, v)); c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, v));
          v = v128.load8x8_s(w1 + kw);
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, v)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, v));
          v = v128.load8x8_s(w2 + kw);
          c02 = i32x4.add(c02, i32x4.dot_i16x8_s(x0, v)); c12 = i32x4.add(c12, i32x4.dot_i16x8_s(x1, v));
          v = v128.load8x8_s(w3 + kw);
          c03 = i32x4.add(c03, i32x4.dot_i16x8_s(x0, v)); c13 = i32x4.add(c13, i32x4.dot_i16x8_s(x1, v));
        }
        v128.store(ap, reduce4(c00, c01, c02, c03));
        v128.store(ap + ldAcc, reduce4(c10, c11, c12, c13));
        ap += ldAcc << 1;
      }
      if (m < m1) {
        const a0 = a16 + <usize>m * rowA;
        let c0 = i32x4.splat(0), c1 = i32x4.splat(0), c2 = i32x4.splat(0), c3 = i32x4.splat(0);
        for (let k = 0; k < chunks; k++) {
          const kw = <usize>k << 3;
          const x = v128.load(a0 + (<usize>k << 4));
          c0 = i32x4.add(c0, i32x4.dot_i16x8_s(x, v128.load8x8_s(w0 + kw)));
          c1 = i32x4.add(c1, i32x4.dot_i16x8_s(x, v128.load8x8_s(w1 + kw)));
          c2 = i32x4.add(c2, i32x4.dot_i16x8_s(x, v128.load8x8_s(w2 + kw)));
          c3 = i32x4.add(c3, i32x4.dot_i16x8_s(x, v128.load8x8_s(w3 + kw)));
        }
        v128.store(ap, reduce4(c0, c1, c2, c3));
      }
    }
    if (zW != 0) {
      for (let n0 = 0; n0 < N; n0 += 4) {
        const zwv = lanes4(zW + (<usize>n0 << 2), min(4, N - n0));
        let ap = acc + (<usize>n0 << 2);
        for (let m = m0; m < m1; m++) {
          v128.store(ap, i32x4.sub(v128.load(ap), i32x4.mul(zwv, i32x4.splat(load<i32>(sums + (<usize>m << 2))))));
          ap += ldAcc;
        }
      }
    }
    epilogueRows(acc, ldAcc, m1 - m0, N, sA, sW, bias, out + <usize>m0 * ob, ob, lo, hi, oScale, oZp);
  }
}
