import { unpackInt8 } from '../../src/core/numerics.js';
import type { ConvGeometry } from '../conv-geometry.js';

export interface Conv2DInt8RefArgs {
  /** Packed int8 NHWC activations [B, H, W, ceil(C/4)] and weights [Co, ceil(FH·FW·C/4)], rows in (fh, fw, c) order. */
  x: ArrayLike<number>;
  w: ArrayLike<number>;
  g: ConvGeometry;
  aScale: number; aZeroPoint: number;
  wScale: ArrayLike<number>;
  bias?: ArrayLike<number>;
}

const f32 = Math.fround;

/** y[b, oh, ow, co] = f32(Σ (x - zA) · w) · f32(sA · sW[co]) + bias[co]; out-of-image taps are real 0. */
export function conv2dInt8Ref(r: Conv2DInt8RefArgs): Float32Array {
  const { B, H, W, Ci, OH, OW, Co, FH, FW, sh, sw, pt, pl } = r.g;
  const x = unpackInt8(r.x, { rowLength: Ci });
  const K = FH * FW * Ci;
  const w = unpackInt8(r.w, { rowLength: K });
  const out = new Float32Array(B * OH * OW * Co);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let co = 0; co < Co; co++) {
          let acc = 0;
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * sh - pt + fh;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * sw - pl + fw;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              for (let c = 0; c < Ci; c++) {
                acc += (x[((b * H + ih) * W + iw) * Ci + c]! - r.aZeroPoint) * w[co * K + (fh * FW + fw) * Ci + c]!;
              }
            }
          }
          const s = f32(f32(r.aScale) * f32(r.wScale[co]!));
          out[((b * OH + oh) * OW + ow) * Co + co] = f32(f32(f32(acc) * s) + (r.bias?.[co] ?? 0));
        }
      }
    }
  }
  return out;
}
