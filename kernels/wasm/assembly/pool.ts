// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.

/**
 * MaxPool gradient, NHWC: each output's dy goes to the first maximum of its window (row-major scan, strict >,
 * as the cpu backend does); padding taps are skipped. 4 channels per vector, scalar tail. dx is overwritten.
 */
export function maxPoolGrad(x: usize, dy: usize, dx: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  memory.fill(dx, 0, <usize>(B * H * W * C) << 2);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const dq = dy + (<usize>(((b * OH + oh) * OW + ow) * C) << 2);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          let best = f32x4.splat(-Infinity);
          let at = i32x4.splat(-1);
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * sh - pt + fh * dh;
            if (ih < 0 || ih >= H) continue;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * sw - pl + fw * dw;
              if (iw < 0 || iw >= W) continue;
              const pix = (b * H + ih) * W + iw;
              const v = v128.load(x + (<usize>(pix * C + c) << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              at = v128.bitselect(i32x4.splat(pix), at, gt);
            }
          }
          const g = v128.load(dq + (<usize>c << 2));
          scatter(dx, i32x4.extract_lane(at, 0), C, c, f32x4.extract_lane(g, 0));
          scatter(dx, i32x4.extract_lane(at, 1), C, c + 1, f32x4.extract_lane(g, 1));
          scatter(dx, i32x4.extract_lane(at, 2), C, c + 2, f32x4.extract_lane(g, 2));
          scatter(dx, i32x4.extract_lane(at, 3), C, c + 3, f32x4.extract_lane(g, 3));
        }
        for (; c < C; c++) {
          let best: f32 = -Infinity;
          let at = -1;
          for (let fh = 0; fh < FH; fh++) {
            const ih = oh * sh - pt + fh * dh;
            if (ih < 0 || ih >= H) continue;
            for (let fw = 0; fw < FW; fw++) {
              const iw = ow * sw - pl + fw * dw;
              if (iw < 0 || iw >= W) continue;
              const pix = (b * H + ih) * W + iw;
              const v = load<f32>(x + (<usize>(pix * C + c) << 2));
              if (v > best) { best = v; at = pix; }
            }
          }
          scatter(dx, at, C, c, load<f32>(dq + (<usize>c << 2)));
        }
      }
    }
  }
}

function scatter(dx: usize, pix: i32, C: i32, c: i32, g: f32): void {
  if (pix < 0) return;
  const p = dx + (<usize>(pix * C + c) << 2);
  store<f32>(p, load<f32>(p) + g);
}
