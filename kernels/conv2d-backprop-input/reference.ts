import type { ConvGeometry } from '../conv-geometry.js';

/** dx[b, ih, iw, ci] = Σ_{oh, ow, fh, fw, co} dy[b, oh, ow, co] · w[fh, fw, ci, co], ih = oh*sh - pt + fh (float64 sums). */
export function conv2dBackpropInputRef(dy: ArrayLike<number>, w: ArrayLike<number>, g: ConvGeometry): Float32Array {
  const { B, H, W, Ci, OH, OW, Co, FH, FW, sh, sw, pt, pl } = g;
  const acc = new Float64Array(B * H * W * Ci);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let fh = 0; fh < FH; fh++) {
          const ih = oh * sh - pt + fh;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = ow * sw - pl + fw;
            if (iw < 0 || iw >= W) continue;
            for (let ci = 0; ci < Ci; ci++) {
              let s = 0;
              for (let co = 0; co < Co; co++) {
                s += dy[((b * OH + oh) * OW + ow) * Co + co]! * w[((fh * FW + fw) * Ci + ci) * Co + co]!;
              }
              acc[((b * H + ih) * W + iw) * Ci + ci]! += s;
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}
