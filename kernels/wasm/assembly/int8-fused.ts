// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// The rest of the fused int8 path (docs/numerics.md "Requantization"): quantize on entry, int8 max / average
// pooling (the depthwise conv is int8-depthwise.ts). Activations are packed int8 NHWC: each pixel's C codes are
// followed by 0 pad bytes up to a whole word (pixel stride Cp = ceil(C/4)·4 bytes).
import { epilogueBounds, requant } from './int8';

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
  } else if (K == 3 && ldo == 4) {
    // Three codes per row (an RGB input): 4 rows (12 floats, 3 vectors) per step, each pixel's codes and a 0 pad byte.
    const zero = i32x4.splat(0);
    for (; r0 + 4 <= rows; r0 += 4) {
      const p = x + (<usize>(r0 * 3) << 2);
      const a = i32x4.add(i32x4.max_s(lo, i32x4.min_s(hi, i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(p), sv))))), zv);
      const b = i32x4.add(i32x4.max_s(lo, i32x4.min_s(hi, i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(p, 16), sv))))), zv);
      const c = i32x4.add(i32x4.max_s(lo, i32x4.min_s(hi, i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(p, 32), sv))))), zv);
      const bytes = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, c));
      v128.store(out + (<usize>r0 << 2), i8x16.shuffle(bytes, zero, 0, 1, 2, 16, 3, 4, 5, 16, 6, 7, 8, 16, 9, 10, 11, 16));
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
 * window's in-image taps (padding excluded from the count, as tfjs does). Pad bytes average to 0. Each window is
 * clipped to the image once; 16 channels a vector summed in int16 (exact while the window has at most 256 taps:
 * |Σq| ≤ 128·256), the rest of a pixel's channels — and windows of more taps — one by one.
 */
export function avgPoolI8(x: usize, B: i32, H: i32, W: i32, Cp: i32, OH: i32, OW: i32, FH: i32, FW: i32, sh: i32,
  sw: i32, pt: i32, pl: i32, out: usize): void {
  let dst = out;
  const row = <usize>(W * Cp);
  const vec = FH * FW <= 256 ? Cp & ~15 : 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * sh - pt;
      const fh0 = max(0, -ih0), fh1 = min(FH, H - ih0);
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * sw - pl;
        const fw0 = max(0, -iw0), fw1 = min(FW, W - iw0);
        const base = x + <usize>(((b * H + ih0 + fh0) * W + iw0 + fw0) * Cp);
        const nw = fw1 - fw0, nh = fh1 - fh0;
        // An empty window gives 0 / 0 = NaN, which trunc_sat makes 0 (the scalar loop's n = 0 case).
        const n = f32x4.splat(<f32>(max(nw, 0) * max(nh, 0)));
        let c = 0;
        for (; c < vec; c += 16) {
          let lo = i16x8.splat(0), hi = i16x8.splat(0);
          let r = base + <usize>c;
          for (let fh = fh0; fh < fh1; fh++) {
            let p = r;
            for (let i = 0; i < nw; i++) {
              const v = v128.load(p);
              lo = i16x8.add(lo, i16x8.extend_low_i8x16_s(v));
              hi = i16x8.add(hi, i16x8.extend_high_i8x16_s(v));
              p += <usize>Cp;
            }
            r += row;
          }
          const q0 = mean(i32x4.extend_low_i16x8_s(lo), n), q1 = mean(i32x4.extend_high_i16x8_s(lo), n);
          const q2 = mean(i32x4.extend_low_i16x8_s(hi), n), q3 = mean(i32x4.extend_high_i16x8_s(hi), n);
          v128.store(dst + <usize>c, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
        }
        for (; c < Cp; c++) {
          let s = 0, k = 0;
          for (let fh = fh0; fh < fh1; fh++) {
            for (let fw = fw0; fw < fw1; fw++) {
              s += <i32>load<i8>(x + <usize>(((b * H + ih0 + fh) * W + iw0 + fw) * Cp + c));
              k++;
            }
          }
          store<i8>(dst + <usize>c, <i8>(k == 0 ? 0 : <i32>nearest<f32>(<f32>s / <f32>k)));
        }
        dst += <usize>Cp;
      }
    }
  }
}

/** nearest(f32(s) / n) per lane, ties to even (f32x4.div is correctly rounded; the mean of codes is in [-128, 127]). */
@inline function mean(s: v128, n: v128): v128 {
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(f32x4.convert_i32x4_s(s), n)));
}

/**
 * Int8 Add (docs/numerics.md "Requantization", "Add"): y = f32(f32((a - zA)·sA) + f32((b - zB)·sB)) clamped to
 * [lo, hi], then q = clamp(nearest(y / oScale), -128 - oZp, 127 - oZp) + oZp, NaN → oZp: dequantize both, add,
 * quantize, bit for bit. `rows` rows of C codes `Cp` bytes apart in a, b and (int8 output) out, whose pad bytes are
 * written 0; oScale = 0: float32 output, C floats a row. 16 codes per vector; the clamp before the division is
 * folded into one clamp after it as in int8.ts's epilogueRows (division by oScale > 0 is monotonic).
 */
export function addI8(a: usize, b: usize, rows: i32, C: i32, Cp: i32, sA: f32, zA: i32, sB: f32, zB: i32, lo: f32,
  hi: f32, oScale: f32, oZp: i32, out: usize): void {
  const quant = oScale != 0;
  const bounds = epilogueBounds(lo, hi, oScale, oZp);
  const lq = f32x4.extract_lane(bounds, 0), hq = f32x4.extract_lane(bounds, 1);
  const sa = f32x4.splat(sA), sb = f32x4.splat(sB), za = i32x4.splat(zA), zb = i32x4.splat(zB);
  const sv = f32x4.splat(oScale), zv = i32x4.splat(oZp), lv = f32x4.splat(lq), hv = f32x4.splat(hq);
  const C16 = C & ~15;
  for (let r = 0; r < rows; r++) {
    const pa = a + <usize>(r * Cp), pb = b + <usize>(r * Cp);
    const d = quant ? out + <usize>(r * Cp) : out + (<usize>(r * C) << 2);
    let c = 0;
    for (; c < C16; c += 16) {
      const va = v128.load(pa + <usize>c), vb = v128.load(pb + <usize>c);
      const al = i16x8.extend_low_i8x16_s(va), ah = i16x8.extend_high_i8x16_s(va);
      const bl = i16x8.extend_low_i8x16_s(vb), bh = i16x8.extend_high_i8x16_s(vb);
      const y0 = sum(i32x4.extend_low_i16x8_s(al), i32x4.extend_low_i16x8_s(bl), za, zb, sa, sb);
      const y1 = sum(i32x4.extend_high_i16x8_s(al), i32x4.extend_high_i16x8_s(bl), za, zb, sa, sb);
      const y2 = sum(i32x4.extend_low_i16x8_s(ah), i32x4.extend_low_i16x8_s(bh), za, zb, sa, sb);
      const y3 = sum(i32x4.extend_high_i16x8_s(ah), i32x4.extend_high_i16x8_s(bh), za, zb, sa, sb);
      if (quant) {
        const q0 = code(y0, sv, lv, hv, zv), q1 = code(y1, sv, lv, hv, zv), q2 = code(y2, sv, lv, hv, zv), q3 = code(y3, sv, lv, hv, zv);
        v128.store(d + <usize>c, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
      } else {
        const p = d + (<usize>c << 2);
        v128.store(p, f32x4.pmin(f32x4.pmax(y0, lv), hv));
        v128.store(p, f32x4.pmin(f32x4.pmax(y1, lv), hv), 16);
        v128.store(p, f32x4.pmin(f32x4.pmax(y2, lv), hv), 32);
        v128.store(p, f32x4.pmin(f32x4.pmax(y3, lv), hv), 48);
      }
    }
    for (; c < C; c++) {
      let y = <f32>(<i32>load<i8>(pa + <usize>c) - zA) * sA + <f32>(<i32>load<i8>(pb + <usize>c) - zB) * sB;
      if (y < lo) y = lo;
      if (y > hi) y = hi;
      if (quant) store<i8>(d + <usize>c, <i8>requant(y, oScale, oZp));
      else store<f32>(d + (<usize>c << 2), y);
    }
    if (quant) for (; c < Cp; c++) store<i8>(d + <usize>c, 0);
  }
}

@inline function sum(a: v128, b: v128, za: v128, zb: v128, sa: v128, sb: v128): v128 {
  return f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(a, za)), sa), f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(b, zb)), sb));
}

/** nearest(clamp(y / s, L, H)) + z; NaN → z (trunc_sat maps NaN to 0). */
@inline function code(y: v128, sv: v128, lv: v128, hv: v128, zv: v128): v128 {
  return i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.pmin(f32x4.pmax(f32x4.div(y, sv), lv), hv))), zv);
}
