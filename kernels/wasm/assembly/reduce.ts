// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// Per-channel Sum / Mean over every axis but the last (BatchNorm's training statistics and gradients), which
// tfjs-backend-wasm runs as a full transpose followed by a sum.
import { lane } from './conv';

/**
 * out[c] = Σ_r x[r·C + c] (÷ rows when mean), each channel summed row after row in float32 from 0 — the order
 * tfjs-backend-wasm's Sum takes after its transpose, so the bits are the same. Channels are vector lanes, 16 at a
 * time in registers; a block that ends inside a row reads into the next row's first channels (ignored lanes), and
 * the last row's partial block is added lane by lane, so nothing past the tensor is read.
 */
export function channelSum(x: usize, rows: i32, C: i32, out: usize, mean: bool): void {
  const stride = <usize>C << 2;
  for (let c0 = 0; c0 < C; c0 += 16) {
    const n = C - c0 < 16 ? C - c0 : 16;
    const nb = (n + 3) >> 2;
    // Rows whose vector loads stay inside the tensor: all when the block ends on a vector boundary.
    const full = (n & 3) == 0 ? rows : rows - 1;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let p = x + (<usize>c0 << 2);
    for (let r = 0; r < full; r++) {
      a0 = f32x4.add(a0, v128.load(p));
      if (nb > 1) a1 = f32x4.add(a1, v128.load(p, 16));
      if (nb > 2) a2 = f32x4.add(a2, v128.load(p, 32));
      if (nb > 3) a3 = f32x4.add(a3, v128.load(p, 48));
      p += stride;
    }
    for (let l = 0; l < n; l++) {
      const b = l >> 2;
      let s = lane(b == 0 ? a0 : b == 1 ? a1 : b == 2 ? a2 : a3, l & 3);
      if (full < rows) s += load<f32>(p + (<usize>l << 2));
      store<f32>(out + (<usize>(c0 + l) << 2), mean ? s / <f32>rows : s);
    }
  }
}
