// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// Depthwise int8 conv with the requantizing epilogue (docs/numerics.md "Requantization"). Activations are packed
// int8 NHWC: each pixel's C codes are followed by 0 pad bytes up to a whole word (pixel stride `pixStride` bytes).
import { epilogueBounds, finiteTerms, requant, ROUNDER, ROUNDER_BITS, roundCode, roundCodeFinite } from './int8';

/**
 * Depthwise conv: out channel o = c·M + m reads input channel c. w is tfjs's [FH, FW, C, M] filter as int8 rows of
 * `ldw` bytes per tap (FH·FW rows of C·M codes, symmetric, zero point 0). Epilogue as gemmI8's (oScale = 0: float32
 * output, ldo floats a pixel; else ldo bytes a pixel, pad bytes 0). M = 1 (MobileNet's) takes the vector path, any
 * other multiplier the scalar one. Output rows r ∈ [r0, r1) of B·OH (r = b·OH + oh; `B` is implied), so kernel threads
 * can split them. scratch: depthwiseScratchBytes (kernels/fused-int8/kernels.ts) bytes.
 */
export function depthwiseI8(x: usize, pixStride: i32, B: i32, H: i32, W: i32, C: i32, M: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32, zA: i32, w: usize, ldw: i32, out: usize, ldo: i32,
  sA: f32, sW: usize, bias: usize, lo: f32, hi: f32, oScale: f32, oZp: i32, scratch: usize, r0: i32, r1: i32): void {
  if (M == 1) {
    depthwiseVec(x, pixStride, H, W, C, OH, OW, FH, FW, sh, sw, pt, pl, zA, w, ldw, out, ldo, sA, sW, bias, lo, hi,
      oScale, oZp, scratch, r0, r1);
  } else {
    depthwiseScalar(x, pixStride, H, W, C, M, OH, OW, FH, FW, sh, sw, pt, pl, zA, w, ldw, out, ldo, sA, sW, bias, lo,
      hi, oScale, oZp, scratch, r0, r1);
  }
}

/**
 * M = 1. The products run on i32x4.dot_i16x8_s, 8 per instruction, by pairing horizontally adjacent taps: lane c of
 * a pair row holds the int16 pair (x[iw][c] - zA, x[iw + 1][c] - zA) and the filter's lane c the pair
 * (w[fw][c], w[fw + 1][c]), so one dot adds both taps' products into channel c's int32 (exact: |x - zA| ≤ 255,
 * |w| ≤ 127, FH·FW products). An odd FW's last tap is paired with a 0 weight. (extmul of int16, the plain way, costs
 * V8 three instructions per 4 products on x64; fp32 depthwise convs were as fast.) The input is read through a zero
 * frame (Hp × Wp pixels, the image at (pt, pl), Cs = ceil(C/16)·16 channels; the frame and channels ≥ C are 0 =
 * real 0), so every output pixel reads all taps with no bounds test and every channel block is whole; the frame's
 * pair rows are built as the output rows reach them into a ring of FH rows (one int16 line, then the pairs), which
 * stays in cache. Per output pixel and 16 channels: four accumulators in registers, then epilogueRows' epilogue on
 * the four vectors. Lanes ≥ C get the clamp [-oZp, -oZp] (code 0, the pad byte) and are not stored past the pixel's
 * ldo.
 * When every scale and bias is finite (finiteTerms), the epilogue skips roundCode's NaN masking.
 * Scratch: 128 bytes of constants, per channel (Cs each) f32 sA·sW, bias, low and high clamp, the filter's pairs
 * (FH·ceil(FW/2)·Cs·4 bytes), one int16 line ((Wp + 1)·Cs·2) and the ring (FH·Wp·Cs·4).
 */
function depthwiseVec(x: usize, pixStride: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32, zA: i32, w: usize, ldw: i32, out: usize, ldo: i32,
  sA: f32, sW: usize, bias: usize, lo: f32, hi: f32, oScale: f32, oZp: i32, scratch: usize, r0: i32, r1: i32): void {
  const Cs = (C + 15) & ~15;
  const Wp = max(pl + W, (OW - 1) * sw + FW);
  const FP = (FW + 1) >> 1;
  const k = scratch;
  const scv = k + 128, biv = scv + (<usize>Cs << 2), qlo = biv + (<usize>Cs << 2), qhi = qlo + (<usize>Cs << 2);
  const wpair = qhi + (<usize>Cs << 2);
  const line = wpair + (<usize>(FH * FP * Cs) << 2);
  const ring = line + (<usize>((Wp + 1) * Cs) << 1);
  const quant = oScale != 0;
  // Per-channel epilogue terms: exactly epilogueRows' (int8.ts).
  const bounds = epilogueBounds(lo, hi, oScale, oZp);
  const lq = f32x4.extract_lane(bounds, 0), hq = f32x4.extract_lane(bounds, 1);
  for (let c = 0; c < Cs; c++) {
    const real = c < C;
    const o = <usize>c << 2;
    store<f32>(scv + o, real ? sA * load<f32>(sW + o) : 0);
    store<f32>(biv + o, real && bias != 0 ? load<f32>(bias + o) : -0.0);
    store<f32>(qlo + o, real || !quant ? lq : <f32>-oZp);
    store<f32>(qhi + o, real || !quant ? hq : <f32>-oZp);
  }
  for (let fh = 0; fh < FH; fh++) {
    for (let j = 0; j < FP; j++) {
      const dst = wpair + (<usize>((fh * FP + j) * Cs) << 2);
      const t0 = fh * FW + 2 * j;
      for (let c = 0; c < Cs; c++) {
        const a = c < C ? <i32>load<i8>(w + <usize>(t0 * ldw + c)) : 0;
        const b = c < C && 2 * j + 1 < FW ? <i32>load<i8>(w + <usize>((t0 + 1) * ldw + c)) : 0;
        store<i32>(dst + (<usize>c << 2), (a & 0xffff) | (b << 16));
      }
    }
  }
  let finite = true;
  for (let c = 0; c < Cs; c += 4) finite = finite && finiteTerms(v128.load(scv + (<usize>c << 2)), v128.load(biv + (<usize>c << 2)), oScale);
  v128.store(k, f32x4.splat(oScale));
  v128.store(k, i32x4.splat(oZp), 16);
  v128.store(k, f32x4.splat(ROUNDER), 32);
  v128.store(k, i32x4.splat(ROUNDER_BITS), 48);
  v128.store(k, i32x4.splat(ROUNDER_BITS - oZp), 64);
  const ob = quant ? <usize>ldo : <usize>ldo << 2;
  const pairPix = <usize>Cs << 2, ringRow = <usize>Wp * pairPix;
  const tapStep = pairPix << 1, ringEnd = ring + <usize>FH * ringRow;
  // Pair lanes are read at columns ow·sw + 2j only: with an even stride, only the even columns are built.
  const step = sw & 1 ? 1 : 2;
  let dst = out + <usize>(r0 * OW) * ob;
  let img: usize = 0, next = 0; // the image and its next frame row to build
  const sv = v128.load(k), zv = v128.load(k, 16), rounder = v128.load(k, 32), bits = v128.load(k, 48), bz = v128.load(k, 64);
  for (let rr = r0; rr < r1; rr++) {
    const oh = rr % OH;
    if (oh == 0 || rr == r0) {
      img = x + <usize>((rr / OH) * H * W * pixStride);
      next = 0;
    }
    const f0 = oh * sh;
    for (let r = max(next, f0); r < f0 + FH; r++) {
      pairRow(img, pixStride, H, W, C, Cs, Wp, r - pt, pl, zA, line, ring + <usize>(r % FH) * ringRow, step);
    }
    next = f0 + FH;
    const first = ring + <usize>(f0 % FH) * ringRow;
    for (let ow = 0; ow < OW; ow++) {
      const px = <usize>(ow * sw) * pairPix;
      for (let c = 0; c < Cs; c += 16) {
        let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
        const cb = <usize>c << 2;
        let wp = wpair + cb;
        let row = first;
        for (let fh = 0; fh < FH; fh++) {
          let xp = row + px + cb;
          row += ringRow;
          if (row == ringEnd) row = ring;
          for (let j = 0; j < FP; j++) {
            a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load(xp), v128.load(wp)));
            a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load(xp, 16), v128.load(wp, 16)));
            a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load(xp, 32), v128.load(wp, 32)));
            a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load(xp, 48), v128.load(wp, 48)));
            xp += tapStep;
            wp += pairPix;
          }
        }
        const y0 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a0), v128.load(scv + cb)), v128.load(biv + cb));
        const y1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a1), v128.load(scv + cb, 16)), v128.load(biv + cb, 16));
        const y2 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a2), v128.load(scv + cb, 32)), v128.load(biv + cb, 32));
        const y3 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a3), v128.load(scv + cb, 48)), v128.load(biv + cb, 48));
        if (quant && finite) {
          const q0 = roundCodeFinite(f32x4.pmin(f32x4.pmax(f32x4.div(y0, sv), v128.load(qlo + cb)), v128.load(qhi + cb)), rounder, bz);
          const q1 = roundCodeFinite(f32x4.pmin(f32x4.pmax(f32x4.div(y1, sv), v128.load(qlo + cb, 16)), v128.load(qhi + cb, 16)), rounder, bz);
          const q2 = roundCodeFinite(f32x4.pmin(f32x4.pmax(f32x4.div(y2, sv), v128.load(qlo + cb, 32)), v128.load(qhi + cb, 32)), rounder, bz);
          const q3 = roundCodeFinite(f32x4.pmin(f32x4.pmax(f32x4.div(y3, sv), v128.load(qlo + cb, 48)), v128.load(qhi + cb, 48)), rounder, bz);
          storeCodes(dst + <usize>c, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)), ldo - c);
        } else if (quant) {
          const q0 = roundCode(f32x4.pmin(f32x4.pmax(f32x4.div(y0, sv), v128.load(qlo + cb)), v128.load(qhi + cb)), rounder, bits, zv);
          const q1 = roundCode(f32x4.pmin(f32x4.pmax(f32x4.div(y1, sv), v128.load(qlo + cb, 16)), v128.load(qhi + cb, 16)), rounder, bits, zv);
          const q2 = roundCode(f32x4.pmin(f32x4.pmax(f32x4.div(y2, sv), v128.load(qlo + cb, 32)), v128.load(qhi + cb, 32)), rounder, bits, zv);
          const q3 = roundCode(f32x4.pmin(f32x4.pmax(f32x4.div(y3, sv), v128.load(qlo + cb, 48)), v128.load(qhi + cb, 48)), rounder, bits, zv);
          storeCodes(dst + <usize>c, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)), ldo - c);
        } else {
          const lv = v128.load(qlo + cb), hv = v128.load(qhi + cb);
          storeF32(dst + cb, f32x4.pmin(f32x4.pmax(y0, lv), hv), C - c);
          storeF32(dst + cb + 16, f32x4.pmin(f32x4.pmax(y1, lv), hv), C - c - 4);
          storeF32(dst + cb + 32, f32x4.pmin(f32x4.pmax(y2, lv), hv), C - c - 8);
          storeF32(dst + cb + 48, f32x4.pmin(f32x4.pmax(y3, lv), hv), C - c - 12);
        }
      }
      dst += ob;
    }
  }
}

/** 16 codes at d, or fewer in the last block of a pixel: n = ldo - c is whole words (pad lanes hold code 0). */
@inline function storeCodes(d: usize, v: v128, n: i32): void {
  if (n >= 16) v128.store(d, v);
  else {
    if (n >= 8) v128.store64_lane(d, v, 0);
    if (n == 4) v128.store32_lane(d, v, 0);
    else if (n == 12) v128.store32_lane(d, v, 2, 8);
  }
}

/** The first `count` (≤ 4 stored, < 1 none) lanes of y at p. */
@inline function storeF32(p: usize, y: v128, count: i32): void {
  if (count >= 4) v128.store(p, y);
  else if (count > 0) {
    v128.store32_lane(p, y, 0);
    if (count > 1) v128.store32_lane(p, y, 1, 4);
    if (count > 2) v128.store32_lane(p, y, 2, 8);
  }
}

/**
 * Frame row `ih` (an image row, or padding when outside [0, H)) as pair lanes at `dst`: Wp pixels of Cs lanes, lane
 * (iw, c) the int16 pair (F[iw][c], F[iw + 1][c]) of the frame F (x - zA at column pl on, 0 elsewhere and at
 * column Wp), for every `step`-th column iw (the others are left as they were). `line`: (Wp + 1)·Cs int16 of scratch for F's row. Reads no byte past a pixel's own C codes.
 */
function pairRow(x: usize, pixStride: i32, H: i32, W: i32, C: i32, Cs: i32, Wp: i32, ih: i32, pl: i32, zA: i32,
  line: usize, dst: usize, step: i32): void {
  const pix = <usize>Cs << 1;
  if (ih < 0 || ih >= H) {
    memory.fill(dst, 0, <usize>Wp * (pix << 1));
    return;
  }
  const za = i16x8.splat(<i16>zA);
  const C16 = C & ~15;
  memory.fill(line, 0, <usize>pl * pix);
  let d = line + <usize>pl * pix;
  let s = x + <usize>(ih * W * pixStride);
  for (let iw = 0; iw < W; iw++) {
    let c = 0;
    for (; c < C16; c += 16) {
      const v = v128.load(s + <usize>c);
      v128.store(d + (<usize>c << 1), i16x8.sub(i16x8.extend_low_i8x16_s(v), za));
      v128.store(d + (<usize>c << 1), i16x8.sub(i16x8.extend_high_i8x16_s(v), za), 16);
    }
    for (; c < C; c++) store<i16>(d + (<usize>c << 1), <i16>(<i32>load<i8>(s + <usize>c) - zA));
    for (; c < Cs; c++) store<i16>(d + (<usize>c << 1), 0);
    s += <usize>pixStride;
    d += pix;
  }
  memory.fill(d, 0, <usize>(Wp + 1 - pl - W) * pix);
  let a = line, p = dst;
  const sa = <usize>step * pix;
  for (let iw = 0; iw < Wp; iw += step) {
    for (let c = 0; c < Cs; c += 8) {
      const u = v128.load(a + (<usize>c << 1)), v = v128.load(a + pix + (<usize>c << 1));
      v128.store(p + (<usize>c << 2), i16x8.shuffle(u, v, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(p + (<usize>c << 2), i16x8.shuffle(u, v, 4, 12, 5, 13, 6, 14, 7, 15), 16);
    }
    a += sa;
    p += sa << 1;
  }
}

/** Any multiplier: accumulators in scratch (Co·4 bytes), padding taps skipped, the scalar epilogue. */
function depthwiseScalar(x: usize, pixStride: i32, H: i32, W: i32, C: i32, M: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32, zA: i32, w: usize, ldw: i32, out: usize, ldo: i32,
  sA: f32, sW: usize, bias: usize, lo: f32, hi: f32, oScale: f32, oZp: i32, acc: usize, r0: i32, r1: i32): void {
  const Co = C * M;
  let pix = r0 * OW;
  for (let rr = r0; rr < r1; rr++) {
    const b = rr / OH, oh = rr % OH;
    for (let ow = 0; ow < OW; ow++) {
      memory.fill(acc, 0, <usize>Co << 2);
      for (let fh = 0; fh < FH; fh++) {
        const ih = oh * sh - pt + fh;
        if (ih < 0 || ih >= H) continue;
        for (let fw = 0; fw < FW; fw++) {
          const iw = ow * sw - pl + fw;
          if (iw < 0 || iw >= W) continue;
          const xp = x + <usize>(((b * H + ih) * W + iw) * pixStride);
          const wp = w + <usize>((fh * FW + fw) * ldw);
          for (let c = 0; c < C; c++) {
            const xv = <i32>load<i8>(xp + <usize>c) - zA;
            for (let m = 0; m < M; m++) {
              const o = c * M + m;
              const ap = acc + (<usize>o << 2);
              store<i32>(ap, load<i32>(ap) + xv * <i32>load<i8>(wp + <usize>o));
            }
          }
        }
      }
      for (let o = 0; o < Co; o++) {
        let y = <f32>load<i32>(acc + (<usize>o << 2)) * (sA * load<f32>(sW + (<usize>o << 2)));
        if (bias != 0) y += load<f32>(bias + (<usize>o << 2));
        if (y < lo) y = lo;
        if (y > hi) y = hi;
        if (oScale == 0) store<f32>(out + (<usize>(pix * ldo + o) << 2), y);
        else store<i8>(out + <usize>(pix * ldo + o), <i8>requant(y, oScale, oZp));
      }
      if (oScale != 0) for (let o = Co; o < ldo; o++) store<i8>(out + <usize>(pix * ldo + o), 0);
      pix++;
    }
  }
}
