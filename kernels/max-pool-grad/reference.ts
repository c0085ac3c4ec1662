import type { PoolGeometry } from './geometry.js';

/** dx: each output's dy added at the first maximum (row-major, strict >) of its window; padding taps skipped. */
export function maxPoolGradRef(x: ArrayLike<number>, dy: ArrayLike<number>, g: PoolGeometry): Float32Array {
  const { B, H, W, C, OH, OW, FH, FW, sh, sw, dh, dw, pt, pl } = g;
  const dx = new Float64Array(B * H * W * C);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          let best = -Infinity, at = -1;
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * sh - pt + fh * dh;
            if (ih < 0 || ih >= H) continue;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * sw - pl + fw * dw;
              if (iw < 0 || iw >= W) continue;
              const v = x[((b * H + ih) * W + iw) * C + c]!;
              if (v > best) { best = v; at = ((b * H + ih) * W + iw) * C + c; }
            }
          }
          if (at >= 0) dx[at]! += dy[((b * OH + oh) * OW + ow) * C + c]!;
        }
      }
    }
  }
  return Float32Array.from(dx);
}
