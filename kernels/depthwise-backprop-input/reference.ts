import type { ConvGeometry } from '../conv-geometry.js';

/** dx[b, ih, iw, c] = Σ_{oh, ow, fh, fw, m} dy[b, oh, ow, c*M + m] · w[fh, fw, c, m] (float64 sums). */
export function depthwiseBackpropInputRef(dy: ArrayLike<number>, w: ArrayLike<number>, g: ConvGeometry): Float32Array {
  const { B, H, W, Ci: C, M, OH, OW, FH, FW, sh, sw, pt, pl } = g;
  const Q = C * M;
  const acc = new Float64Array(B * H * W * C);
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
              acc[((b * H + ih) * W + iw) * C + Math.floor(q / M)]! +=
                dy[((b * OH + oh) * OW + ow) * Q + q]! * w[(fh * FW + fw) * Q + q]!;
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}
