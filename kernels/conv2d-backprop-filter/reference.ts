import type { ConvGeometry } from '../conv-geometry.js';

/** dw[fh, fw, ci, co] = Σ_{b, oh, ow} x[b, oh*sh - pt + fh, ow*sw - pl + fw, ci] · dy[b, oh, ow, co] (float64 sums). */
export function conv2dBackpropFilterRef(x: ArrayLike<number>, dy: ArrayLike<number>, g: ConvGeometry): Float32Array {
  const { B, H, W, Ci, OH, OW, Co, FH, FW, sh, sw, pt, pl } = g;
  const acc = new Float64Array(FH * FW * Ci * Co);
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
              const xv = x[((b * H + ih) * W + iw) * Ci + ci]!;
              for (let co = 0; co < Co; co++) {
                acc[((fh * FW + fw) * Ci + ci) * Co + co]! += xv * dy[((b * OH + oh) * OW + ow) * Co + co]!;
              }
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}
