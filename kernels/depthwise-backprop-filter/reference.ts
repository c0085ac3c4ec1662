import type { ConvGeometry } from '../conv-geometry.js';

/** dw[fh, fw, c, m] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c*M + m] (float64 sums). */
export function depthwiseBackpropFilterRef(x: ArrayLike<number>, dy: ArrayLike<number>, g: ConvGeometry): Float32Array {
  const { B, H, W, Ci: C, M, OH, OW, FH, FW, sh, sw, pt, pl } = g;
  const Q = C * M;
  const acc = new Float64Array(FH * FW * Q);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let fh = 0; fh < FH; fh++) {
          const ih = oh * sh - pt + fh;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = ow * sw - pl + fw;
            if (iw < 0 || iw >= W) continue;
            for (let q = 0; q < Q; q++) {
              const xv = x[((b * H + ih) * W + iw) * C + Math.floor(q / M)]!;
              acc[(fh * FW + fw) * Q + q]! += xv * dy[((b * OH + oh) * OW + ow) * Q + q]!;
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}
