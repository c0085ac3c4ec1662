// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// The rest of the fused int8 path (docs/numerics.md "Requantization"): quantize on entry, depthwise conv with the
// requantizing epilogue, int8 max / average pooling. Activations are packed int8 NHWC: each pixel's C codes are
// followed by 0 pad bytes up to a whole word (pixel stride Cp = ceil(C/4)·4 bytes).
import { requant } from './int8';

/**
 * out[r, k] = clamp(nearest(x[r, k] / s), qmin - z, qmax - z) + z (NaN → z), rows of K floats to rows of `ldo`
 * bytes, pad bytes 0. f32x4.div is correctly rounded and f32x4.nearest is ties-to-even: src/core/numerics.ts's
 * quantizeValue bit for bit.
 */
export function quantizeRows(x: usize, rows: i32, K: i32, s: f32, z: i32, qmin: i32, qmax: i32, out: usize, ldo: i32): void {
  const sv = f32x4.splat(s), zv = i32x4.splat(z);
  const lo = i32x4.splat(qmin - z), hi = i32x4.splat(qmax - z);
  const K8 = K & ~7;
  let r0 = 0;
  if (K == 1 && ldo == 4) {
    // One code per row (a conv input with one channel): 4 rows per vector, each code alone in its word.
    for (; r0 + 4 <= rows; r0 += 4) {
      const q = i32x4.max_s(lo, i32x4.min_s(hi, i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(x + (<usize>r0 << 2)), sv)))));
      v128.store(out + (<usize>r0 << 2), v128.and(i32x4.add(q, zv), i32x4.splat(0xff)));
    }
  }
  for (let r = r0; r < rows; r++) {
    const src = x + (<usize>(r * K) << 2);
    const dst = out + <usize>(r * ldo);
    let k = 0;
    for (; k < K8; k += 8) {
      const p = src + (<usize>k << 2);
      const a = i32x4.max_s(lo, i32x4.min_s(hi, i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(p), sv)))));
      const b = i32x4.max_s(lo, i32x4.min_s(hi, i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(p, 16), sv)))));
      const w = i16x8.narrow_i32x4_s(i32x4.add(a, zv), i32x4.add(b, zv));
      v128.store64_lane(dst + <usize>k, i8x16.narrow_i16x8_s(w, w), 0);
    }
    for (; k < K; k++) {
      let r = nearest<f32>(load<f32>(src + (<usize>k << 2)) / s);
      if (r != r) r = 0;
      if (r < <f32>(qmin - z)) r = <f32>(qmin - z);
      if (r > <f32>(qmax - z)) r = <f32>(qmax - z);
      const q = <i32>r;
      store<i8>(dst + <usize>k, <i8>(q + z));
    }
    for (; k < ldo; k++) store<i8>(dst + <usize>k, 0);
  }
}

/**
 * Depthwise conv, direct: out channel o = c·M + m reads input channel c. w is tfjs's [FH, FW, C, M] filter as int8
 * rows of `ldw` bytes per tap (FH·FW rows of C·M codes, symmetric, zero point 0). acc: Co·4 bytes of scratch.
 * Padding taps are real 0 (x - zA = 0) and are skipped. Epilogue as gemmI8's (oScale = 0: float32 output).
 */
export function depthwiseI8(x: usize, pixStride: i32, B: i32, H: i32, W: i32, C: i32, M: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32, zA: i32, w: usize, ldw: i32, out: usize, ldo: i32,
  sA: f32, sW: usize, bias: usize, lo: f32, hi: f32, oScale: f32, oZp: i32, acc: usize): void {
  const Co = C * M;
  const C8 = M == 1 ? C & ~7 : 0;
  const za = i16x8.splat(<i16>zA);
  let pix = 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
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
            let c = 0;
            for (; c < C8; c += 8) {
              const xv = i16x8.sub(v128.load8x8_s(xp + <usize>c), za);
              const wv = v128.load8x8_s(wp + <usize>c);
              const ap = acc + (<usize>c << 2);
              v128.store(ap, i32x4.add(v128.load(ap), i32x4.extmul_low_i16x8_s(xv, wv)));
              v128.store(ap, i32x4.add(v128.load(ap, 16), i32x4.extmul_high_i16x8_s(xv, wv)), 16);
            }
            for (; c < C; c++) {
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
}

/**
 * Max pooling on int8 codes (the quantization is monotonic, so this is the float max pool's codes exactly).
 * Cp: bytes per pixel (pad bytes are 0 and stay 0). Padding taps are skipped: each window is clipped to the image
 * once, then its taps are walked by pointer. 16 channels per vector, then 8 and/or 4 (Cp is whole words).
 */
export function maxPoolI8(x: usize, B: i32, H: i32, W: i32, Cp: i32, OH: i32, OW: i32, FH: i32, FW: i32, sh: i32,
  sw: i32, pt: i32, pl: i32, out: usize): void {
  let dst = out;
  const row = <usize>(W * Cp);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * sh - pt;
      const fh0 = max(0, -ih0), fh1 = min(FH, H - ih0);
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * sw - pl;
        const fw0 = max(0, -iw0), fw1 = min(FW, W - iw0);
        const base = x + <usize>(((b * H + ih0 + fh0) * W + iw0 + fw0) * Cp);
        const nw = fw1 - fw0;
        let c = 0;
        for (; c + 16 <= Cp; c += 16) {
          let best = i8x16.splat(-128);
          let r = base + <usize>c;
          for (let fh = fh0; fh < fh1; fh++) {
            let p = r;
            for (let i = 0; i < nw; i++) { best = i8x16.max_s(best, v128.load(p)); p += <usize>Cp; }
            r += row;
          }
          v128.store(dst + <usize>c, best);
        }
        if (c + 8 <= Cp) {
          let best = i8x16.splat(-128);
          let r = base + <usize>c;
          for (let fh = fh0; fh < fh1; fh++) {
            let p = r;
            for (let i = 0; i < nw; i++) { best = i8x16.max_s(best, v128.load64_zero(p)); p += <usize>Cp; }
            r += row;
          }
          v128.store64_lane(dst + <usize>c, best, 0);
          c += 8;
        }
        if (c + 4 <= Cp) {
          let best = i8x16.splat(-128);
          let r = base + <usize>c;
          for (let fh = fh0; fh < fh1; fh++) {
            let p = r;
            for (let i = 0; i < nw; i++) { best = i8x16.max_s(best, v128.load32_zero(p)); p += <usize>Cp; }
            r += row;
          }
          v128.store32_lane(dst + <usize>c, best, 0);
        }
        dst += <usize>Cp;
      }
    }
  }
}

/**
 * Average pooling on int8 codes, input and output on the same grid: q = nearest(f32(Σq) / f32(count)) over the
 * window's in-image taps (padding excluded from the count, as tfjs does). Pad bytes average to 0.
 */
export function avgPoolI8(x: usize, B: i32, H: i32, W: i32, Cp: i32, OH: i32, OW: i32, FH: i32, FW: i32, sh: i32,
  sw: i32, pt: i32, pl: i32, out: usize): void {
  let dst = out;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < Cp; c++) {
          let s = 0, n = 0;
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * sh - pt + fh;
            if (ih < 0 || ih >= H) continue;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * sw - pl + fw;
              if (iw < 0 || iw >= W) continue;
              s += <i32>load<i8>(x + <usize>(((b * H + ih) * W + iw) * Cp + c));
              n++;
            }
          }
          store<i8>(dst + <usize>c, <i8>(n == 0 ? 0 : <i32>nearest<f32>(<f32>s / <f32>n)));
        }
        dst += <usize>Cp;
      }
    }
  }
}
