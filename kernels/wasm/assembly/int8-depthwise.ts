// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// Depthwise int8 conv with the requantizing epilogue (docs/numerics.md "Requantization"). Activations are packed
// int8 NHWC: each pixel's C codes are followed by 0 pad bytes up to a whole word (pixel stride `pixStride` bytes).
import { epilogueRows, requant, ROWS } from './int8';

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
 * a pair row holds the int16 pair (x[iw][c], x[iw + 1][c]) and the filter's lane c the pair (w[fw][c], w[fw + 1][c]),
 * so one dot adds both taps' products into channel c's int32 (exact: |x| ≤ 128, |w| ≤ 127, FH·FW products). An odd
 * FW's last tap is paired with a 0 weight. (extmul of int16, the plain way, costs V8 three instructions per 4
 * products on x64; fp32 depthwise convs were as fast.) The zero point is not subtracted from the codes: the input is
 * read through a frame of code zA (Hp × Wp pixels, the image at (pt, pl); channels ≥ C meet 0 weights), so
 * Σ (x - zA)·w = Σ x·w - zA·Σw over all FH·FW taps, and the accumulators start at -zA·Σw[c] (exact integers). Every
 * output pixel then reads all taps with no bounds test. The frame's pair rows are built straight from the int8 codes
 * (two neighbouring pixels' 16 codes interleaved, then widened) as the output rows reach them, into a ring of FH rows
 * that stays in cache. Per output row, in passes of ROWS pixels: 4 channels at a time, their filter pairs in
 * registers (3×3: all six), every pixel of the pass (one dot per tap pair, no reloads of the filter), the int32 sums
 * to `acc`; then int8.ts's epilogueRows over the pass, the epilogue every int8 kernel ends with. 3×3 at stride 1 or 2
 * (MobileNets'): a pixel's second pair column is the next pixel's first, so each row's pairs are loaded once and
 * carried (3 loads a pixel instead of 6; at stride 1 the taps pair as (0, none), (1, 2) to make it so).
 * Scratch (depthwiseScratchBytes, Cs = ceil(C/16)·16): the filter's pairs (FH·ceil(FW/2)·Cs·4 bytes), the start
 * values (Cs·4), the ring (FH·Wp·Cs·4) and the accumulators (ROWS·ceil(C/4)·16 + 128).
 */
function depthwiseVec(x: usize, pixStride: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32, zA: i32, w: usize, ldw: i32, out: usize, ldo: i32,
  sA: f32, sW: usize, bias: usize, lo: f32, hi: f32, oScale: f32, oZp: i32, scratch: usize, r0: i32, r1: i32): void {
  const Cs = (C + 15) & ~15;
  const Wp = max(pl + W, (OW - 1) * sw + FW);
  const FP = (FW + 1) >> 1;
  const pairPix = <usize>Cs << 2, ringRow = <usize>Wp * pairPix;
  const wpair = scratch;
  const init = wpair + <usize>(FH * FP) * pairPix;
  const ring = init + pairPix;
  const acc = ring + <usize>FH * ringRow;
  const ldAcc = <usize>((C + 3) >> 2) << 4;
  const carry = FH == 3 && FW == 3 && sw <= 2;
  for (let fh = 0; fh < FH; fh++) {
    for (let j = 0; j < FP; j++) {
      const dst = wpair + <usize>(fh * FP + j) * pairPix;
      // Taps (fa, fb) of pair j: (2j, 2j + 1), but (0, none) and (1, 2) for the carried 3×3 at stride 1.
      const fa = carry && sw == 1 ? j : 2 * j, fb = carry && sw == 1 ? 2 * j : 2 * j + 1;
      for (let c = 0; c < Cs; c++) {
        const a = c < C ? <i32>load<i8>(w + <usize>((fh * FW + fa) * ldw + c)) : 0;
        const b = c < C && fb > fa && fb < FW ? <i32>load<i8>(w + <usize>((fh * FW + fb) * ldw + c)) : 0;
        store<i32>(dst + (<usize>c << 2), (a & 0xffff) | (b << 16));
      }
    }
  }
  for (let c = 0; c < Cs; c++) {
    let sum = 0;
    if (c < C) for (let t = 0; t < FH * FW; t++) sum += <i32>load<i8>(w + <usize>(t * ldw + c));
    store<i32>(init + (<usize>c << 2), -zA * sum);
  }
  const ob = oScale != 0 ? <usize>ldo : <usize>ldo << 2;
  const tap = pairPix << 1, stepB = <usize>sw * pairPix;
  // Pair lanes are read at columns ow·sw + 2j only: with an even stride, only the even columns are built.
  const step = sw & 1 ? 1 : 2;
  let dst = out + <usize>(r0 * OW) * ob;
  let img: usize = 0, next = 0; // the image and its next frame row to build
  for (let rr = r0; rr < r1; rr++) {
    const oh = rr % OH;
    if (oh == 0 || rr == r0) {
      img = x + <usize>((rr / OH) * H * W * pixStride);
      next = 0;
    }
    const f0 = oh * sh;
    for (let r = max(next, f0); r < f0 + FH; r++) {
      pairRow(img, pixStride, H, W, Cs, Wp, r - pt, pl, zA, ring + <usize>(r % FH) * ringRow, step);
    }
    next = f0 + FH;
    for (let q0 = 0; q0 < OW; q0 += ROWS) {
      const n = min(ROWS, OW - q0);
      const px = <usize>q0 * stepB;
      if (carry) {
        const row0 = ring + <usize>(f0 % 3) * ringRow + px, row1 = ring + <usize>((f0 + 1) % 3) * ringRow + px;
        const row2 = ring + <usize>((f0 + 2) % 3) * ringRow + px;
        for (let c = 0; c < C; c += 4) {
          const cb = <usize>c << 2;
          const w00 = v128.load(wpair + cb), w01 = v128.load(wpair + pairPix + cb);
          const w10 = v128.load(wpair + 2 * pairPix + cb), w11 = v128.load(wpair + 3 * pairPix + cb);
          const w20 = v128.load(wpair + 4 * pairPix + cb), w21 = v128.load(wpair + 5 * pairPix + cb);
          const iv = v128.load(init + cb);
          let p0 = row0 + cb, p1 = row1 + cb, p2 = row2 + cb, a = acc + cb;
          let x0 = v128.load(p0), x1 = v128.load(p1), x2 = v128.load(p2);
          for (let q = 0; q < n; q++) {
            p0 += stepB; p1 += stepB; p2 += stepB;
            const y0 = v128.load(p0), y1 = v128.load(p1), y2 = v128.load(p2);
            const s0 = i32x4.add(i32x4.dot_i16x8_s(x0, w00), i32x4.dot_i16x8_s(y0, w01));
            const s1 = i32x4.add(i32x4.dot_i16x8_s(x1, w10), i32x4.dot_i16x8_s(y1, w11));
            const s2 = i32x4.add(i32x4.dot_i16x8_s(x2, w20), i32x4.dot_i16x8_s(y2, w21));
            v128.store(a, i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, iv)));
            x0 = y0; x1 = y1; x2 = y2;
            a += ldAcc;
          }
        }
      } else {
        for (let c = 0; c < C; c += 4) {
          const cb = <usize>c << 2;
          const iv = v128.load(init + cb);
          for (let q = 0; q < n; q++) {
            let s = iv;
            let wp = wpair + cb;
            for (let fh = 0; fh < FH; fh++) {
              let xp = ring + <usize>((f0 + fh) % FH) * ringRow + px + <usize>q * stepB + cb;
              for (let j = 0; j < FP; j++) {
                s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load(xp), v128.load(wp)));
                xp += tap;
                wp += pairPix;
              }
            }
            v128.store(acc + <usize>q * ldAcc + cb, s);
          }
        }
      }
      epilogueRows(acc, ldAcc, n, C, sA, sW, bias, dst, ob, lo, hi, oScale, oZp);
      dst += <usize>n * ob;
    }
  }
}

/**
 * 16 codes of a frame column at p: a pixel's codes from byte c on (`n` = pixStride - c ≥ 16: a whole vector; 4, 8 or
 * 12: only those, the rest 0, so nothing past the pixel is read).
 */
@inline function codes16(p: usize, n: i32): v128 {
  if (n >= 16) return v128.load(p);
  if (n == 8) return v128.load64_zero(p);
  if (n == 4) return v128.load32_zero(p);
  return i32x4.replace_lane(v128.load64_zero(p), 2, load<i32>(p, 8));
}

/**
 * Frame row `ih` (an image row, or code zA everywhere when outside [0, H)) as pair lanes at `dst`: Wp pixels of Cs
 * lanes, lane (iw, c) the int16 pair (F[iw][c], F[iw + 1][c]) of the frame F (the codes at columns pl..pl + W - 1,
 * zA elsewhere and at column Wp), for every `step`-th column iw (the others are left as they were): column iw's codes
 * interleaved with column iw + 1's and widened, 16 channels at a time. Reads no byte past a pixel's own codes.
 */
function pairRow(x: usize, pixStride: i32, H: i32, W: i32, Cs: i32, Wp: i32, ih: i32, pl: i32, zA: i32,
  dst: usize, step: i32): void {
  const pairPix = <usize>Cs << 2;
  const frame = i8x16.splat(<i8>zA);
  if (ih < 0 || ih >= H) {
    const pairs = i16x8.splat(<i16>zA);
    for (let p = dst, e = dst + <usize>Wp * pairPix; p < e; p += 16) v128.store(p, pairs);
    return;
  }
  const row = x + <usize>(ih * W * pixStride);
  // Column by column, all of a column's channels at once: the image row (written by the op before, often out of cache
  // by now) is read and the pair row written in address order, which the prefetchers follow. Running along the row
  // 16 channels at a time (ceil(C/16) strided passes over it) made stride-2 layers ~1.2x slower (MobileNetV2's
  // 144-channel one at 112x112), at the price of loading a column twice at stride 1 (from cache).
  for (let iw = 0; iw < Wp; iw += step) {
    // Column iw's codes (prev) and column iw + 1's (cur), each a pixel of the row or the frame.
    const f = iw - pl, f1 = iw + 1 - pl;
    const inP = f >= 0 && f < W, inC = f1 >= 0 && f1 < W;
    const pp = row + <usize>(f * pixStride), pc = row + <usize>(f1 * pixStride);
    const d = dst + <usize>iw * pairPix;
    for (let c = 0; c < Cs; c += 16) {
      const n = pixStride - c;
      const prev = inP ? codes16(pp + <usize>c, n) : frame;
      const cur = inC ? codes16(pc + <usize>c, n) : frame;
      const l = i8x16.shuffle(prev, cur, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const h = i8x16.shuffle(prev, cur, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const o = d + (<usize>c << 2);
      v128.store(o, i16x8.extend_low_i8x16_s(l));
      v128.store(o, i16x8.extend_high_i8x16_s(l), 16);
      v128.store(o, i16x8.extend_low_i8x16_s(h), 32);
      v128.store(o, i16x8.extend_high_i8x16_s(h), 48);
    }
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
