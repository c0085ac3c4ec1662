// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// Direct int8 Conv2D (docs/numerics.md "Integer matmul / conv", "Requantization"), NHWC, no im2col.
//
// Each image is widened once into a zero-padded int16 copy with the zero point removed (x - zA, and 0 for the
// padding, which is real 0): Hp × Wp pixels of C lanes, no channel padding. For an output pixel and a filter row
// fh, the filter's FW taps then read FW·C consecutive lanes of that copy, so the conv is a sum over FH contiguous
// segments. The segments are consumed in pairs of lanes: one i32x4.dot_i16x8_s of a broadcast pair
// (x[k], x[k+1]) with the pairs of 4 channels (w[n][k], w[n][k+1]) adds both products into lane n, so the
// accumulators hold whole channels — no horizontal sums — and the epilogue is 4 channels per vector. This suits
// the narrow layers of small CNNs (Cin 1..16, Cout 6..32), where im2col costs more than the products, and costs
// nothing extra on wide ones. Register block: 4 output pixels × 8 channels.
import { epiloguePairs, epilogueRows, ROUNDER, ROUNDER_BITS, roundCodeFinite, ROWS } from './int8';

@inline function maskI16(n: i32): v128 {
  return i16x8.lt_s(i16x8(0, 1, 2, 3, 4, 5, 6, 7), i16x8.splat(<i16>n));
}

/**
 * The filter w ([Co, K] int8 rows `ldw` bytes apart, K = FH·seg in (fh, fw, c) order, seg = FW·C) as int16 pairs
 * for convI8: wq[j][fh][p] is 32 bytes, the pairs (w[n][fh·seg + 2p], w[n][fh·seg + 2p + 1]) of channels
 * n = 8j..8j+7, 0 past the segment's end and past Co. `pairs` = ceil(seg / 2). wq: ceil(Co/8)·FH·pairs·32 bytes.
 * 8 × 4 pair transposes per 8 lanes of 8 channels.
 */
export function packConvI8(w: usize, ldw: i32, Co: i32, FH: i32, seg: i32, pairs: i32, wq: usize): void {
  const blocks = (Co + 7) >> 3;
  const zero = i32x4.splat(<i32>(Co < 0)); // not a constant the optimizer repeats at every use (the module's size)
  for (let j = 0; j < blocks; j++) {
    for (let fh = 0; fh < FH; fh++) {
      const dst = wq + (<usize>((j * FH + fh) * pairs) << 5);
      for (let s = 0; s * 8 < seg; s++) {
        const mask = maskI16(seg - s * 8);
        const at = <usize>(fh * seg + s * 8);
        const n = j * 8;
        const v0 = n < Co ? v128.and(v128.load8x8_s(w + <usize>(n * ldw) + at), mask) : zero;
        const v1 = n + 1 < Co ? v128.and(v128.load8x8_s(w + <usize>((n + 1) * ldw) + at), mask) : zero;
        const v2 = n + 2 < Co ? v128.and(v128.load8x8_s(w + <usize>((n + 2) * ldw) + at), mask) : zero;
        const v3 = n + 3 < Co ? v128.and(v128.load8x8_s(w + <usize>((n + 3) * ldw) + at), mask) : zero;
        const v4 = n + 4 < Co ? v128.and(v128.load8x8_s(w + <usize>((n + 4) * ldw) + at), mask) : zero;
        const v5 = n + 5 < Co ? v128.and(v128.load8x8_s(w + <usize>((n + 5) * ldw) + at), mask) : zero;
        const v6 = n + 6 < Co ? v128.and(v128.load8x8_s(w + <usize>((n + 6) * ldw) + at), mask) : zero;
        const v7 = n + 7 < Co ? v128.and(v128.load8x8_s(w + <usize>((n + 7) * ldw) + at), mask) : zero;
        // Each v holds 4 pairs (i32 lanes); pair p of all 8 channels is lane p of v0..v3, then of v4..v7.
        const a0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5), a1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
        const a2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7), a3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
        const b0 = i32x4.shuffle(v4, v5, 0, 4, 1, 5), b1 = i32x4.shuffle(v6, v7, 0, 4, 1, 5);
        const b2 = i32x4.shuffle(v4, v5, 2, 6, 3, 7), b3 = i32x4.shuffle(v6, v7, 2, 6, 3, 7);
        const p0 = s * 4;
        const d = dst + (<usize>p0 << 5);
        v128.store(d, i32x4.shuffle(a0, a1, 0, 1, 4, 5)); v128.store(d, i32x4.shuffle(b0, b1, 0, 1, 4, 5), 16);
        if (p0 + 1 < pairs) { v128.store(d, i32x4.shuffle(a0, a1, 2, 3, 6, 7), 32); v128.store(d, i32x4.shuffle(b0, b1, 2, 3, 6, 7), 48); }
        if (p0 + 2 < pairs) { v128.store(d, i32x4.shuffle(a2, a3, 0, 1, 4, 5), 64); v128.store(d, i32x4.shuffle(b2, b3, 0, 1, 4, 5), 80); }
        if (p0 + 3 < pairs) { v128.store(d, i32x4.shuffle(a2, a3, 2, 3, 6, 7), 96); v128.store(d, i32x4.shuffle(b2, b3, 2, 3, 6, 7), 112); }
      }
    }
  }
}

/** Zeroes lanes [0, n) at p (whole vectors: up to 7 lanes past n are zeroed too) with `zero`. */
@inline function zeroLanes(p: usize, n: i32, zero: v128): void {
  for (let i = 0; i < n; i += 8) v128.store(p + (<usize>i << 1), zero);
}

/**
 * xw = the image at x (H × W pixels, `pixStride` bytes apart, C codes each) as int16 x - zA inside a zero frame:
 * Hp × Wp pixels of C lanes, the image at row pt, column pl. Writes whole vectors in increasing address order,
 * each overwriting the spill of the one before, so up to 8 lanes past Hp·Wp·C are written (the caller's slack).
 */
export function widenImage(x: usize, pixStride: i32, H: i32, W: i32, C: i32, pt: i32, pl: i32, Hp: i32, Wp: i32,
  zA: i32, xw: usize): void {
  const za = i16x8.splat(<i16>zA);
  const zero = i32x4.splat(<i32>(C < 0)); // not a constant repeated at each use (the module's size)
  const rowLanes = Wp * C;
  zeroLanes(xw, pt * rowLanes, zero);
  for (let ih = 0; ih < H; ih++) {
    const row = xw + (<usize>((ih + pt) * rowLanes) << 1);
    zeroLanes(row, pl * C, zero);
    let d = row + (<usize>(pl * C) << 1);
    let src = x + <usize>(ih * W * pixStride);
    if (C <= 8) {
      for (let iw = 0; iw < W; iw++) {
        v128.store(d, i16x8.sub(v128.load8x8_s(src), za));
        src += <usize>pixStride;
        d += <usize>C << 1;
      }
    } else {
      for (let iw = 0; iw < W; iw++) {
        for (let c = 0; c < C; c += 8) v128.store(d + (<usize>c << 1), i16x8.sub(v128.load8x8_s(src + <usize>c), za));
        src += <usize>pixStride;
        d += <usize>C << 1;
      }
    }
    zeroLanes(d, (Wp - pl - W) * C, zero);
  }
  zeroLanes(xw + (<usize>((pt + H) * rowLanes) << 1), (Hp - pt - H) * rowLanes, zero);
}

/**
 * Output rows r ∈ [r0, r1) of B·OH (r = b·OH + oh) of the conv of packed int8 x [B, H, W, pixStride bytes] with
 * wq (packConvI8), then int8.ts's epilogueRows: int8 (oScale ≠ 0, `ldo` bytes per output pixel) or
 * float32 (`ldo` floats per pixel). Hp ≥ pt + H and ≥ (OH-1)·sh + FH, likewise Wp. Scratch: xw, one widened image,
 * (Hp·Wp·C + 32)·2 bytes; acc, (ROWS + 1)·ceil(Co/8)·32 + 128 + ROWS·4 + 128 bytes (the accumulators, then
 * epilogueRows' constants, up to Co·4 bytes further on when it starts past the tiled channels; then a pass's pixel
 * addresses and the tile epilogue's terms). Images are widened as the rows reach them, so a thread's share of rows
 * needs only its own scratch.
 * Where the epilogue is epiloguePairs' saturating one (int8 output, finite terms, [L, H] the code range: MobileNets'
 * ReLU / ReLU6 / linear layers), the leading whole 8-channel groups (tiled) requantize each 4×8 block straight from
 * its registers, the same arithmetic lane for lane: no accumulator stores and reloads, and the epilogue's float work
 * interleaves with the next block's dot products instead of running as a pass of its own (for the 1×1 convs of small
 * K it was a third of their time). The other channels take the accumulators and epilogueRows as before.
 * The 4-pixel blocks run over an image's output pixels in row-major order, across output rows (only an image's last
 * block can be short: it repeats its last pixel). A pass of ROWS pixels first lists their first lanes in xw, which
 * every 8-channel group's blocks then load (walking (oh, ow) again in each block cost the small-K 1×1 convs ~5%).
 * Their accumulators go to `acc`, and the epilogue runs over a pass of ROWS pixels one group of 4 channels at a time,
 * so neither loop runs out of vector registers.
 */
export function convI8(x: usize, pixStride: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, FH: i32, FW: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, Hp: i32, Wp: i32, zA: i32, wq: usize, Co: i32, sA: f32, sW: usize,
  bias: usize, out: usize, ldo: i32, lo: f32, hi: f32, oScale: f32, oZp: i32, xw: usize, acc: usize, r0: i32,
  r1: i32): void {
  const pairs = (FW * C + 1) >> 1;
  const ob = oScale != 0 ? <usize>ldo : <usize>ldo << 2;
  const rowBytes = <usize>(Wp * C) << 1, step = <usize>(sw * C) << 1, rowStep = <usize>sh * rowBytes;
  const blockBytes = <usize>(FH * pairs) << 5;
  const ldAcc = <usize>((Co + 7) >> 3) << 5;
  const zero = i32x4.splat(0);
  const hasBias = i32x4.splat(-<i32>(bias != 0));
  const nT = tiled(acc, ldAcc, Co, sA, sW, bias, lo, hi, oScale, oZp);
  // The pass's pixel addresses, then the tile epilogue's terms: through memory, because V8 sinks vector constants
  // into loops and makes them again there (per block), but leaves loads where they are.
  const addrs = acc + <usize>(ROWS + 1) * ldAcc + 128;
  const terms = addrs + (<usize>ROWS << 2);
  v128.store(terms, f32x4.splat(oScale), 64);
  v128.store(terms, f32x4.splat(ROUNDER), 80);
  v128.store(terms, i32x4.splat(ROUNDER_BITS - oZp), 96);
  v128.store(terms, f32x4.splat(-4194304.0), 112);
  let r = r0;
  while (r < r1) {
    const b = r / OH, oh0 = r % OH;
    const oh1 = min(OH, oh0 + r1 - r);
    widenImage(x + <usize>(b * H * W * pixStride), pixStride, H, W, C, pt, pl, Hp, Wp, zA, xw);
    const obase = out + <usize>(b * OH * OW) * ob;
    const qEnd = oh1 * OW;
    // (oh, ow) of the next pixel, and its first lane in xw.
    let oh = oh0, ow = 0;
    let xa = xw + <usize>oh * rowStep;
    for (let q0 = oh0 * OW; q0 < qEnd; q0 += ROWS) {
      const q1 = min(qEnd, q0 + ROWS);
      // All ROWS entries: past q1, the pass's last pixel again (a short last block repeats it).
      let last = xa;
      for (let i = 0; i < ROWS; i++) {
        if (q0 + i < q1) {
          last = xa;
          if (++ow == OW) { ow = 0; oh++; xa = xw + <usize>oh * rowStep; } else xa += step;
        }
        store<u32>(addrs + (<usize>i << 2), <u32>last);
      }
      for (let n0 = 0; n0 < Co; n0 += 8) {
        const wb = wq + <usize>(n0 >> 3) * blockBytes;
        if (n0 < nT) {
          // epiloguePairs' terms. No bias (bias = 0: the bytes at address 0 read, then masked): + 0 instead of
          // epiloguePairs' + -0, which can only turn a -0 into 0, the same code.
          const nb = <usize>n0 << 2, sa = f32x4.splat(sA);
          v128.store(terms, f32x4.mul(sa, v128.load(sW + nb)));
          v128.store(terms, f32x4.mul(sa, v128.load(sW + nb, 16)), 16);
          v128.store(terms, v128.and(v128.load(bias + nb), hasBias), 32);
          v128.store(terms, v128.and(v128.load(bias + nb, 16), hasBias), 48);
        }
        for (let q = q0; q < q1; q += 4) {
          const t = addrs + (<usize>(q - q0) << 2);
          const x0 = <usize>load<u32>(t), x1 = <usize>load<u32>(t, 4), x2 = <usize>load<u32>(t, 8), x3 = <usize>load<u32>(t, 12);
          let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
          let wp = wb;
          let p0 = x0, p1 = x1, p2 = x2, p3 = x3;
          for (let fh = 0; fh < FH; fh++) {
            for (let p = 0; p < pairs; p++) {
              const o = <usize>p << 2;
              const w0 = v128.load(wp), w1 = v128.load(wp, 16);
              let v = v128.load32_splat(p0 + o);
              c00 = i32x4.add(c00, i32x4.dot_i16x8_s(v, w0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(v, w1));
              v = v128.load32_splat(p1 + o);
              c10 = i32x4.add(c10, i32x4.dot_i16x8_s(v, w0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(v, w1));
              v = v128.load32_splat(p2 + o);
              c20 = i32x4.add(c20, i32x4.dot_i16x8_s(v, w0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(v, w1));
              v = v128.load32_splat(p3 + o);
              c30 = i32x4.add(c30, i32x4.dot_i16x8_s(v, w0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(v, w1));
              wp += 32;
            }
            p0 += rowBytes; p1 += rowBytes; p2 += rowBytes; p3 += rowBytes;
          }
          if (n0 < nT) {
            const s0 = v128.load(terms), s1 = v128.load(terms, 16), b0 = v128.load(terms, 32), b1 = v128.load(terms, 48);
            const sv = v128.load(terms, 64), rounder = v128.load(terms, 80), bz = v128.load(terms, 96);
            const floor = v128.load(terms, 112);
            // One copy of the epilogue, the rows rotated through it (register moves; the module's size is budgeted).
            let d = obase + <usize>q * ob + <usize>n0;
            const e = min(q + 4, q1);
            for (let i = q; i < e; i++) {
              const y0 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(c00), s0), b0);
              const y1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(c01), s1), b1);
              const h = i16x8.narrow_i32x4_s(roundCodeFinite(f32x4.pmax(f32x4.div(y0, sv), floor), rounder, bz),
                roundCodeFinite(f32x4.pmax(f32x4.div(y1, sv), floor), rounder, bz));
              v128.store64_lane(d, i8x16.narrow_i16x8_s(h, h), 0);
              c00 = c10; c01 = c11; c10 = c20; c11 = c21; c20 = c30; c21 = c31;
              d += ob;
            }
            continue;
          }
          // Rows past q1 are scratch the epilogue does not read (ROWS is a multiple of 4).
          const a = acc + <usize>(q - q0) * ldAcc + (<usize>n0 << 2);
          v128.store(a, c00); v128.store(a, c01, 16);
          v128.store(a + ldAcc, c10); v128.store(a + ldAcc, c11, 16);
          v128.store(a + 2 * ldAcc, c20); v128.store(a + 2 * ldAcc, c21, 16);
          v128.store(a + 3 * ldAcc, c30); v128.store(a + 3 * ldAcc, c31, 16);
        }
      }
      if (nT < Co) {
        const nb = <usize>nT << 2;
        epilogueRows(acc + nb, ldAcc, q1 - q0, Co - nT, sA, sW + nb, bias != 0 ? bias + nb : 0, obase + <usize>q0 * ob + <usize>nT,
          ob, lo, hi, oScale, oZp);
      }
    }
    r += oh1 - oh0;
  }
}

/**
 * How many leading channels the tile epilogue takes: the whole 8-channel groups of epiloguePairs' finite prefix, when
 * [L, H] (epilogueBounds) is the code range, i.e. round(max(lo/oScale, qmin)) = qmin and round(min(hi/oScale, qmax))
 * = qmax (then L ≤ H: epilogueBounds' no-overlap case does not arise); else 0 (finiteTerms also asks for a finite
 * oScale).
 */
function tiled(acc: usize, ldAcc: usize, Co: i32, sA: f32, sW: usize, bias: usize, lo: f32, hi: f32, oScale: f32,
  oZp: i32): i32 {
  const qmin = <f32>(<i32>-128 - oZp), qmax = <f32>(<i32>127 - oZp);
  if (oScale == 0 || nearest<f32>(max(lo / oScale, qmin)) != qmin
    || nearest<f32>(min(hi / oScale, qmax)) != qmax) return 0;
  return min(epiloguePairs(acc, ldAcc, 0, Co, sA, sW, bias, 0, 0, lo, hi, oScale, oZp), Co & ~7);
}
