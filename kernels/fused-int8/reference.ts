import { packInt8, quantizeValue, roundHalfEven, unpackInt8 } from '../../src/core/numerics.js';
import type { ConvGeometry } from '../conv-geometry.js';
import type { PoolGeometry } from '../max-pool-grad/geometry.js';
import { clampOf, type AddInt8Attrs, type Int8Epilogue } from './index.js';

/** Pure-TS references of the fused int8 kernels: the single source of truth (docs/numerics.md "Requantization"). */

const f32 = Math.fround;
const INT8 = { qmin: -128, qmax: 127 };

/**
 * The epilogue over accumulators acc [rows, N] (already zero-point corrected): y = f32(f32(acc) · f32(sA · sW[n]))
 * + bias[n], clamped, then float32 [rows, N] or packed int8 [rows, ceil(N/4)] by quantizeValue (numerics.ts).
 */
export function epilogueRef(o: { acc: Int32Array | number[]; rows: number; n: number; aScale: number;
  wScale: ArrayLike<number>; bias?: ArrayLike<number>; e: Int8Epilogue }): Float32Array | Int32Array {
  const [lo, hi] = clampOf(o.e.activation);
  const y = new Float32Array(o.rows * o.n);
  for (let r = 0; r < o.rows; r++) {
    for (let n = 0; n < o.n; n++) {
      const s = f32(f32(o.aScale) * f32(o.wScale[n]!));
      let v = f32(f32(f32(o.acc[r * o.n + n]!) * s) + (o.bias?.[n] ?? 0));
      if (v < lo) v = lo;
      if (v > hi) v = hi;
      y[r * o.n + n] = v;
    }
  }
  if (o.e.outScale === undefined) return y;
  const p = { scale: f32(o.e.outScale), zeroPoint: o.e.outZeroPoint ?? 0 };
  return packInt8(Array.from(y, (v) => quantizeValue(v, p, INT8)), { rowLength: o.n });
}

/** acc[m, n] = Σ_k (a - zA)(w - zW[n]) for packed a [M, ceil(k/4)], w [N, ceil(k/4)]. */
export function matMulAccRef(o: { a: ArrayLike<number>; w: ArrayLike<number>; m: number; n: number; k: number;
  aZeroPoint: number; wZeroPoint?: ArrayLike<number> }): Int32Array {
  const a = unpackInt8(o.a, { rowLength: o.k });
  const w = unpackInt8(o.w, { rowLength: o.k });
  const acc = new Int32Array(o.m * o.n);
  for (let m = 0; m < o.m; m++) {
    for (let n = 0; n < o.n; n++) {
      const zW = o.wZeroPoint?.[n] ?? 0;
      let s = 0;
      for (let k = 0; k < o.k; k++) s += (a[m * o.k + k]! - o.aZeroPoint) * (w[n * o.k + k]! - zW);
      acc[m * o.n + n] = s;
    }
  }
  return acc;
}

/**
 * Conv accumulators [B·OH·OW, Co]. Regular conv: w [Co, ceil(FH·FW·Ci/4)] rows in (fh, fw, ci) order. Depthwise
 * (g.M > 0 and depthwise): w [FH·FW, ceil(Ci·M/4)], output channel c·M + m reads input channel c. Out-of-image taps
 * are real 0 (x - zA = 0).
 */
export function convAccRef(o: { x: ArrayLike<number>; w: ArrayLike<number>; g: ConvGeometry; aZeroPoint: number;
  depthwise: boolean }): Int32Array {
  const { B, H, W, Ci, OH, OW, FH, FW, sh, sw, pt, pl } = o.g;
  const M = o.depthwise ? o.g.M : 1;
  const Co = o.depthwise ? Ci * M : o.g.Co;
  const x = unpackInt8(o.x, { rowLength: Ci });
  const w = o.depthwise ? unpackInt8(o.w, { rowLength: Co }) : unpackInt8(o.w, { rowLength: FH * FW * Ci });
  const acc = new Int32Array(B * OH * OW * Co);
  let row = 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, row++) {
        for (let co = 0; co < Co; co++) {
          let s = 0;
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * sh - pt + fh;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * sw - pl + fw;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const px = ((b * H + ih) * W + iw) * Ci;
              if (o.depthwise) {
                s += (x[px + Math.floor(co / M)]! - o.aZeroPoint) * w[(fh * FW + fw) * Co + co]!;
              } else {
                for (let c = 0; c < Ci; c++) s += (x[px + c]! - o.aZeroPoint) * w[co * FH * FW * Ci + (fh * FW + fw) * Ci + c]!;
              }
            }
          }
          acc[row * Co + co] = s;
        }
      }
    }
  }
  return acc;
}

/**
 * Max or average pooling of packed int8 NHWC codes [B, H, W, ceil(C/4)] (g.C counts words; pad bytes are pooled
 * too and stay 0). Average: nearest(f32(Σq) / count) over in-image taps, ties to even.
 */
export function poolInt8Ref(o: { x: ArrayLike<number>; g: PoolGeometry; max: boolean }): Int32Array {
  const { B, H, W, OH, OW, FH, FW, sh, sw, pt, pl } = o.g;
  const Cp = o.g.C * 4;
  const x = unpackInt8(o.x, { rowLength: Cp });
  const out = new Int32Array(B * OH * OW * Cp);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < Cp; c++) {
          let best = -128, sum = 0, n = 0;
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * sh - pt + fh;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * sw - pl + fw;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const v = x[((b * H + ih) * W + iw) * Cp + c]!;
              best = Math.max(best, v);
              sum += v;
              n++;
            }
          }
          out[((b * OH + oh) * OW + ow) * Cp + c] = o.max ? best : n === 0 ? 0 : roundHalfEven(f32(sum / n));
        }
      }
    }
  }
  return packInt8(out, { rowLength: Cp });
}

/**
 * AddInt8 over packed rows of `channels` codes: y = f32(f32((a - zA)·sA) + f32((b - zB)·sB)), clamped, then float32
 * [rows, channels] or packed int8 by quantizeValue: exactly the dequantize → add → quantize of the float path.
 */
export function addInt8Ref(o: { a: ArrayLike<number>; b: ArrayLike<number>; at: AddInt8Attrs }): Float32Array | Int32Array {
  const { channels, aScale, aZeroPoint, bScale, bZeroPoint } = o.at;
  const [lo, hi] = clampOf(o.at.activation);
  const a = unpackInt8(o.a, { rowLength: channels });
  const b = unpackInt8(o.b, { rowLength: channels });
  const sa = f32(aScale), sb = f32(bScale);
  const y = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    let v = f32(f32((a[i]! - aZeroPoint) * sa) + f32((b[i]! - bZeroPoint) * sb));
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    y[i] = v;
  }
  if (o.at.outScale === undefined) return y;
  const p = { scale: f32(o.at.outScale), zeroPoint: o.at.outZeroPoint ?? 0 };
  return packInt8(Array.from(y, (v) => quantizeValue(v, p, INT8)), { rowLength: channels });
}
