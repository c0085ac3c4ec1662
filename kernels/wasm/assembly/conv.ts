// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// Convolution gradients, NHWC, float32, dilation 1. Pointers are byte offsets into the linear memory shared with
// tfjs-backend-wasm; every function overwrites its output.

function ceilDiv(a: i32, s: i32): i32 {
  return a <= 0 ? -(-a / s) : (a + s - 1) / s;
}

/** First valid output row/col index for a filter tap at `f`: o*s - p + f >= 0. */
function firstOut(p: i32, f: i32, s: i32): i32 {
  const o = ceilDiv(p - f, s);
  return o > 0 ? o : 0;
}

/** One past the last valid output row/col: o*s - p + f <= size - 1. */
function endOut(size: i32, p: i32, f: i32, s: i32, outSize: i32): i32 {
  const a = size - 1 + p - f;
  if (a < 0) return 0;
  const o = a / s + 1;
  return o < outSize ? o : outSize;
}

// Filter-gradient micro-kernels: dw[ci0.., co0..] += Σ_pos x[pos, ci] · dy[pos, co] with a 4×8 / 1×8 / 4×4 / 1×4
// register block; pos walks nOh rows (xRow/dRow bytes apart) of nOw columns (xCol/dCol bytes apart).
function bf4x8(xp: usize, xRow: usize, xCol: usize, dp: usize, dRow: usize, dCol: usize, nOh: i32, nOw: i32,
  o: usize, ld: usize): void {
  let a00 = v128.load(o), a01 = v128.load(o, 16);
  let a10 = v128.load(o + ld), a11 = v128.load(o + ld, 16);
  let a20 = v128.load(o + 2 * ld), a21 = v128.load(o + 2 * ld, 16);
  let a30 = v128.load(o + 3 * ld), a31 = v128.load(o + 3 * ld, 16);
  for (let i = 0; i < nOh; i++) {
    let xq = xp + <usize>i * xRow;
    let dq = dp + <usize>i * dRow;
    for (let j = 0; j < nOw; j++) {
      const d0 = v128.load(dq), d1 = v128.load(dq, 16);
      const x0 = f32x4.splat(load<f32>(xq)), x1 = f32x4.splat(load<f32>(xq, 4));
      const x2 = f32x4.splat(load<f32>(xq, 8)), x3 = f32x4.splat(load<f32>(xq, 12));
      a00 = f32x4.add(a00, f32x4.mul(x0, d0)); a01 = f32x4.add(a01, f32x4.mul(x0, d1));
      a10 = f32x4.add(a10, f32x4.mul(x1, d0)); a11 = f32x4.add(a11, f32x4.mul(x1, d1));
      a20 = f32x4.add(a20, f32x4.mul(x2, d0)); a21 = f32x4.add(a21, f32x4.mul(x2, d1));
      a30 = f32x4.add(a30, f32x4.mul(x3, d0)); a31 = f32x4.add(a31, f32x4.mul(x3, d1));
      xq += xCol; dq += dCol;
    }
  }
  v128.store(o, a00); v128.store(o, a01, 16);
  v128.store(o + ld, a10); v128.store(o + ld, a11, 16);
  v128.store(o + 2 * ld, a20); v128.store(o + 2 * ld, a21, 16);
  v128.store(o + 3 * ld, a30); v128.store(o + 3 * ld, a31, 16);
}

function bf1x8(xp: usize, xRow: usize, xCol: usize, dp: usize, dRow: usize, dCol: usize, nOh: i32, nOw: i32,
  o: usize): void {
  let a0 = v128.load(o), a1 = v128.load(o, 16);
  for (let i = 0; i < nOh; i++) {
    let xq = xp + <usize>i * xRow;
    let dq = dp + <usize>i * dRow;
    for (let j = 0; j < nOw; j++) {
      const x0 = f32x4.splat(load<f32>(xq));
      a0 = f32x4.add(a0, f32x4.mul(x0, v128.load(dq)));
      a1 = f32x4.add(a1, f32x4.mul(x0, v128.load(dq, 16)));
      xq += xCol; dq += dCol;
    }
  }
  v128.store(o, a0); v128.store(o, a1, 16);
}

function bf4x4(xp: usize, xRow: usize, xCol: usize, dp: usize, dRow: usize, dCol: usize, nOh: i32, nOw: i32,
  o: usize, ld: usize): void {
  let a0 = v128.load(o), a1 = v128.load(o + ld), a2 = v128.load(o + 2 * ld), a3 = v128.load(o + 3 * ld);
  for (let i = 0; i < nOh; i++) {
    let xq = xp + <usize>i * xRow;
    let dq = dp + <usize>i * dRow;
    for (let j = 0; j < nOw; j++) {
      const d = v128.load(dq);
      a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xq)), d));
      a1 = f32x4.add(a1, f32x4.mul(f32x4.splat(load<f32>(xq, 4)), d));
      a2 = f32x4.add(a2, f32x4.mul(f32x4.splat(load<f32>(xq, 8)), d));
      a3 = f32x4.add(a3, f32x4.mul(f32x4.splat(load<f32>(xq, 12)), d));
      xq += xCol; dq += dCol;
    }
  }
  v128.store(o, a0); v128.store(o + ld, a1); v128.store(o + 2 * ld, a2); v128.store(o + 3 * ld, a3);
}

function bf1x4(xp: usize, xRow: usize, xCol: usize, dp: usize, dRow: usize, dCol: usize, nOh: i32, nOw: i32,
  o: usize): void {
  let a = v128.load(o);
  for (let i = 0; i < nOh; i++) {
    let xq = xp + <usize>i * xRow;
    let dq = dp + <usize>i * dRow;
    for (let j = 0; j < nOw; j++) {
      a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(xq)), v128.load(dq)));
      xq += xCol; dq += dCol;
    }
  }
  v128.store(o, a);
}

function bf1x1(xp: usize, xRow: usize, xCol: usize, dp: usize, dRow: usize, dCol: usize, nOh: i32, nOw: i32,
  o: usize): void {
  let a = load<f32>(o);
  for (let i = 0; i < nOh; i++) {
    let xq = xp + <usize>i * xRow;
    let dq = dp + <usize>i * dRow;
    for (let j = 0; j < nOw; j++) {
      a += load<f32>(xq) * load<f32>(dq);
      xq += xCol; dq += dCol;
    }
  }
  store<f32>(o, a);
}

/**
 * dw[fh, fw, ci, co] = Σ_{b, oh, ow} x[b, oh*sh - pt + fh, ow*sw - pl + fw, ci] · dy[b, oh, ow, co], for the taps
 * f = fh·FW + fw in [f0, f1) (kernel threads split the taps: every element is summed in the same order whatever
 * the split). One image at a time so that its x and dy stay in cache across the taps.
 */
export function conv2dBackpropFilter(x: usize, dy: usize, dw: usize, B: i32, H: i32, W: i32, Ci: i32,
  OH: i32, OW: i32, Co: i32, FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32, f0: i32, f1: i32): void {
  memory.fill(dw + (<usize>(f0 * Ci * Co) << 2), 0, <usize>((f1 - f0) * Ci * Co) << 2);
  const ld = <usize>Co << 2;
  const xCol = <usize>(sw * Ci) << 2, xRow = <usize>(sh * W * Ci) << 2;
  const dCol = <usize>Co << 2, dRow = <usize>(OW * Co) << 2;
  for (let b = 0; b < B; b++) {
    const xb = x + (<usize>(b * H * W * Ci) << 2);
    const db = dy + (<usize>(b * OH * OW * Co) << 2);
    for (let f = f0; f < f1; f++) {
      const fh = f / FW, fw = f % FW;
      const oh0 = firstOut(pt, fh, sh), oh1 = endOut(H, pt, fh, sh, OH);
      if (oh1 <= oh0) continue;
      const ow0 = firstOut(pl, fw, sw), ow1 = endOut(W, pl, fw, sw, OW);
      if (ow1 <= ow0) continue;
      const nOh = oh1 - oh0, nOw = ow1 - ow0;
      const xs = xb + (<usize>(((oh0 * sh - pt + fh) * W + (ow0 * sw - pl + fw)) * Ci) << 2);
      const ds = db + (<usize>((oh0 * OW + ow0) * Co) << 2);
      const os = dw + (<usize>(f * Ci * Co) << 2);
      let ci = 0;
      while (ci < Ci) {
        const rows = Ci - ci >= 4 ? 4 : 1;
        const xp = xs + (<usize>ci << 2);
        const orow = os + <usize>ci * ld;
        let co = 0;
        for (; co + 8 <= Co; co += 8) {
          const o = orow + (<usize>co << 2), dp = ds + (<usize>co << 2);
          if (rows == 4) bf4x8(xp, xRow, xCol, dp, dRow, dCol, nOh, nOw, o, ld);
          else bf1x8(xp, xRow, xCol, dp, dRow, dCol, nOh, nOw, o);
        }
        for (; co + 4 <= Co; co += 4) {
          const o = orow + (<usize>co << 2), dp = ds + (<usize>co << 2);
          if (rows == 4) bf4x4(xp, xRow, xCol, dp, dRow, dCol, nOh, nOw, o, ld);
          else bf1x4(xp, xRow, xCol, dp, dRow, dCol, nOh, nOw, o);
        }
        for (; co < Co; co++) {
          for (let r = 0; r < rows; r++) {
            bf1x1(xp + (<usize>r << 2), xRow, xCol, ds + (<usize>co << 2), dRow, dCol, nOh, nOw,
              orow + <usize>r * ld + (<usize>co << 2));
          }
        }
        ci += rows;
      }
    }
  }
}

/**
 * Copies rows of C floats into rows of Cp >= C floats (zero padded), so every channel block is a full vector.
 * Vector copies (a per-row memory.copy of a few floats cost ~1.5 ms for LeNet's [128, 28, 28, 6]): a row's last
 * partial block is loaded whole, reading into the next row, and its extra lanes masked to zero; the last row(s),
 * where that would read past the end of src, go float by float.
 */
export function padChannels(src: usize, rows: i32, C: i32, dst: usize, Cp: i32): void {
  const full = C & ~3, t = C & 3;
  const mask = i32x4(t > 0 ? -1 : 0, t > 1 ? -1 : 0, t > 2 ? -1 : 0, 0);
  const zero = f32x4.splat(0);
  // Rows whose partial block can be read whole without passing the end of src (C < 4 needs more than one row after).
  const vecRows = t ? max(0, rows - (4 - t + C - 1) / C) : rows;
  for (let r = 0; r < vecRows; r++) {
    const s = src + (<usize>(r * C) << 2), d = dst + (<usize>(r * Cp) << 2);
    let c = 0;
    for (; c < full; c += 4) v128.store(d + (<usize>c << 2), v128.load(s + (<usize>c << 2)));
    if (t) { v128.store(d + (<usize>c << 2), v128.and(v128.load(s + (<usize>c << 2)), mask)); c += 4; }
    for (; c < Cp; c += 4) v128.store(d + (<usize>c << 2), zero);
  }
  for (let r = vecRows; r < rows; r++) {
    const s = src + (<usize>(r * C) << 2), d = dst + (<usize>(r * Cp) << 2);
    for (let c = 0; c < Cp; c++) store<f32>(d + (<usize>c << 2), c < C ? load<f32>(s + (<usize>c << 2)) : 0);
  }
}

/** Inverse of padChannels. */
export function unpadChannels(src: usize, rows: i32, Cp: i32, dst: usize, C: i32): void {
  for (let r = 0; r < rows; r++) memory.copy(dst + (<usize>(r * C) << 2), src + (<usize>(r * Cp) << 2), <usize>C << 2);
}

/** The output row/col a tap reads for input row/col `i` (i = o*s - p + f), or -1 when there is none. */
@inline function tapOut(i: i32, p: i32, f: i32, s: i32, n: i32): i32 {
  const t = i + p - f;
  if (t < 0) return -1;
  if (s == 1) return t < n ? t : -1;
  if (t % s != 0) return -1;
  const o = t / s;
  return o < n ? o : -1;
}

/**
 * dx[b, ih, iw, ci] = Σ_{fh, fw, co} dy[b, oh, ow, co] · w[fh, fw, ci, co] over taps with ih = oh*sh - pt + fh.
 * `wt` is scratch of FH·FW·Co·Cip floats (Cip = Ci rounded up to 4): the filter transposed to [fh, fw, co, ci] and
 * zero padded, so ci is the vector lane and every block is a full vector; only the Ci real lanes are stored.
 * Four images at a time (the same pixel of each has the same taps): independent accumulators instead of one
 * dependent chain, each element summed in the one-image order, so the bits do not depend on the grouping.
 */
export function conv2dBackpropInput(dy: usize, w: usize, dx: usize, wt: usize, B: i32, H: i32, W: i32, Ci: i32,
  OH: i32, OW: i32, Co: i32, FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  const Cip = (Ci + 3) & ~3;
  memory.fill(wt, 0, <usize>(FH * FW * Co * Cip) << 2);
  for (let f = 0; f < FH * FW; f++) {
    for (let ci = 0; ci < Ci; ci++) {
      for (let co = 0; co < Co; co++) {
        store<f32>(wt + (<usize>((f * Co + co) * Cip + ci) << 2), load<f32>(w + (<usize>((f * Ci + ci) * Co + co) << 2)));
      }
    }
  }
  const wStep = <usize>Cip << 2, dyImage = <usize>(OH * OW * Co) << 2, dxImage = <usize>(H * W * Ci) << 2;
  let b = 0;
  for (; b + 4 <= B; b += 4) {
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        const xo = dx + (<usize>(((b * H + ih) * W + iw) * Ci) << 2);
        let ci = 0;
        while (ci < Ci) {
          const lanes = Cip - ci >= 8 ? 8 : 4;
          let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
          let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
          for (let fh = 0; fh < FH; fh++) {
            const oh = tapOut(ih, pt, fh, sh, OH);
            if (oh < 0) continue;
            for (let fw = 0; fw < FW; fw++) {
              const ow = tapOut(iw, pl, fw, sw, OW);
              if (ow < 0) continue;
              let dq = dy + (<usize>(((b * OH + oh) * OW + ow) * Co) << 2);
              let wq = wt + (<usize>((fh * FW + fw) * Co * Cip + ci) << 2);
              if (lanes == 8) {
                for (let co = 0; co < Co; co++) {
                  const w0 = v128.load(wq), w1 = v128.load(wq, 16);
                  const d0 = f32x4.splat(load<f32>(dq)), d1 = f32x4.splat(load<f32>(dq + dyImage));
                  const d2 = f32x4.splat(load<f32>(dq + 2 * dyImage)), d3 = f32x4.splat(load<f32>(dq + 3 * dyImage));
                  a00 = f32x4.add(a00, f32x4.mul(d0, w0)); a01 = f32x4.add(a01, f32x4.mul(d0, w1));
                  a10 = f32x4.add(a10, f32x4.mul(d1, w0)); a11 = f32x4.add(a11, f32x4.mul(d1, w1));
                  a20 = f32x4.add(a20, f32x4.mul(d2, w0)); a21 = f32x4.add(a21, f32x4.mul(d2, w1));
                  a30 = f32x4.add(a30, f32x4.mul(d3, w0)); a31 = f32x4.add(a31, f32x4.mul(d3, w1));
                  dq += 4; wq += wStep;
                }
              } else {
                for (let co = 0; co < Co; co++) {
                  const w0 = v128.load(wq);
                  a00 = f32x4.add(a00, f32x4.mul(f32x4.splat(load<f32>(dq)), w0));
                  a10 = f32x4.add(a10, f32x4.mul(f32x4.splat(load<f32>(dq + dyImage)), w0));
                  a20 = f32x4.add(a20, f32x4.mul(f32x4.splat(load<f32>(dq + 2 * dyImage)), w0));
                  a30 = f32x4.add(a30, f32x4.mul(f32x4.splat(load<f32>(dq + 3 * dyImage)), w0));
                  dq += 4; wq += wStep;
                }
              }
            }
          }
          const o = xo + (<usize>ci << 2), n = Ci - ci < lanes ? Ci - ci : lanes;
          storeLanes(o, a00, a01, n);
          storeLanes(o + dxImage, a10, a11, n);
          storeLanes(o + 2 * dxImage, a20, a21, n);
          storeLanes(o + 3 * dxImage, a30, a31, n);
          ci += lanes;
        }
      }
    }
  }
  for (; b < B; b++) {
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        const xo = dx + (<usize>(((b * H + ih) * W + iw) * Ci) << 2);
        let ci = 0;
        while (ci < Ci) {
          const lanes = Cip - ci >= 8 ? 8 : 4;
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
          for (let fh = 0; fh < FH; fh++) {
            const oh = tapOut(ih, pt, fh, sh, OH);
            if (oh < 0) continue;
            for (let fw = 0; fw < FW; fw++) {
              const ow = tapOut(iw, pl, fw, sw, OW);
              if (ow < 0) continue;
              let dq = dy + (<usize>(((b * OH + oh) * OW + ow) * Co) << 2);
              let wq = wt + (<usize>((fh * FW + fw) * Co * Cip + ci) << 2);
              if (lanes == 8) {
                for (let co = 0; co < Co; co++) {
                  const d = f32x4.splat(load<f32>(dq));
                  a0 = f32x4.add(a0, f32x4.mul(d, v128.load(wq)));
                  a1 = f32x4.add(a1, f32x4.mul(d, v128.load(wq, 16)));
                  dq += 4; wq += wStep;
                }
              } else {
                for (let co = 0; co < Co; co++) {
                  a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(dq)), v128.load(wq)));
                  dq += 4; wq += wStep;
                }
              }
            }
          }
          storeLanes(xo + (<usize>ci << 2), a0, a1, Ci - ci < lanes ? Ci - ci : lanes);
          ci += lanes;
        }
      }
    }
  }
}

/** Stores the first n (≤ 8) lanes of a0:a1. */
@inline function storeLanes(o: usize, a0: v128, a1: v128, n: i32): void {
  if (n >= 4) {
    v128.store(o, a0);
    if (n == 8) { v128.store(o, a1, 16); return; }
    for (let l = 4; l < n; l++) store<f32>(o + (<usize>l << 2), lane(a1, l - 4));
    return;
  }
  for (let l = 0; l < n; l++) store<f32>(o + (<usize>l << 2), lane(a0, l));
}

/** Lane l (0..3) of a float32 vector, for a run-time index (extract_lane takes a constant). */
export function lane(v: v128, l: i32): f32 {
  switch (l) {
    case 0: return f32x4.extract_lane(v, 0);
    case 1: return f32x4.extract_lane(v, 1);
    case 2: return f32x4.extract_lane(v, 2);
    default: return f32x4.extract_lane(v, 3);
  }
}

/**
 * Depthwise filter gradient, channel multiplier M: dw[fh, fw, c, m] = Σ x[b, ih, iw, c] · dy[b, oh, ow, c*M + m].
 * M = 1 (the common case) runs 4 channels per vector; M > 1 runs scalar.
 */
export function depthwiseBackpropFilter(x: usize, dy: usize, dw: usize, B: i32, H: i32, W: i32, C: i32, M: i32,
  OH: i32, OW: i32, FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  const Q = C * M;
  memory.fill(dw, 0, <usize>(FH * FW * Q) << 2);
  const xCol = <usize>(sw * C) << 2, xRow = <usize>(sh * W * C) << 2;
  const dCol = <usize>Q << 2, dRow = <usize>(OW * Q) << 2;
  for (let b = 0; b < B; b++) {
    const xb = x + (<usize>(b * H * W * C) << 2);
    const db = dy + (<usize>(b * OH * OW * Q) << 2);
    for (let fh = 0; fh < FH; fh++) {
      const oh0 = firstOut(pt, fh, sh), oh1 = endOut(H, pt, fh, sh, OH);
      if (oh1 <= oh0) continue;
      for (let fw = 0; fw < FW; fw++) {
        const ow0 = firstOut(pl, fw, sw), ow1 = endOut(W, pl, fw, sw, OW);
        if (ow1 <= ow0) continue;
        const nOh = oh1 - oh0, nOw = ow1 - ow0;
        const xs = xb + (<usize>(((oh0 * sh - pt + fh) * W + (ow0 * sw - pl + fw)) * C) << 2);
        const ds = db + (<usize>((oh0 * OW + ow0) * Q) << 2);
        const os = dw + (<usize>((fh * FW + fw) * Q) << 2);
        let q = 0;
        if (M == 1) {
          for (; q + 4 <= Q; q += 4) {
            const qo = <usize>q << 2;
            let a = v128.load(os + qo);
            for (let i = 0; i < nOh; i++) {
              let xq = xs + qo + <usize>i * xRow, dq = ds + qo + <usize>i * dRow;
              for (let j = 0; j < nOw; j++) {
                a = f32x4.add(a, f32x4.mul(v128.load(xq), v128.load(dq)));
                xq += xCol; dq += dCol;
              }
            }
            v128.store(os + qo, a);
          }
        }
        for (; q < Q; q++) {
          bf1x1(xs + (<usize>(q / M) << 2), xRow, xCol, ds + (<usize>q << 2), dRow, dCol, nOh, nOw, os + (<usize>q << 2));
        }
      }
    }
  }
}

/** Depthwise input gradient: dx[b, ih, iw, c] = Σ_{fh, fw, m} dy[b, oh, ow, c*M + m] · w[fh, fw, c, m]. */
export function depthwiseBackpropInput(dy: usize, w: usize, dx: usize, B: i32, H: i32, W: i32, C: i32, M: i32,
  OH: i32, OW: i32, FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  const Q = C * M;
  for (let b = 0; b < B; b++) {
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        const xo = dx + (<usize>(((b * H + ih) * W + iw) * C) << 2);
        let c = 0;
        while (c < C) {
          const vec = M == 1 && C - c >= 4;
          let a = f32x4.splat(0);
          let s: f32 = 0;
          for (let fh = 0; fh < FH; fh++) {
            const th = ih + pt - fh;
            if (th < 0 || th % sh != 0) continue;
            const oh = th / sh;
            if (oh >= OH) continue;
            for (let fw = 0; fw < FW; fw++) {
              const tw = iw + pl - fw;
              if (tw < 0 || tw % sw != 0) continue;
              const ow = tw / sw;
              if (ow >= OW) continue;
              const dq = dy + (<usize>(((b * OH + oh) * OW + ow) * Q + c * M) << 2);
              const wq = w + (<usize>((fh * FW + fw) * Q + c * M) << 2);
              if (vec) {
                a = f32x4.add(a, f32x4.mul(v128.load(dq), v128.load(wq)));
              } else {
                for (let m = 0; m < M; m++) s += load<f32>(dq + (<usize>m << 2)) * load<f32>(wq + (<usize>m << 2));
              }
            }
          }
          if (vec) { v128.store(xo + (<usize>c << 2), a); c += 4; }
          else { store<f32>(xo + (<usize>c << 2), s); c += 1; }
        }
      }
    }
  }
}

/**
 * conv2dBackpropInput for few input channels (Ci < 4, e.g. a network's first layer): vectorised over output
 * channels instead. dyP [B, OH, OW, Cop] and wP [FH, FW, Ci, Cop] have channels zero padded to Cop (multiple of 4).
 * Four images at a time, as conv2dBackpropInput (same bits as one at a time).
 */
export function conv2dBackpropInputDot(dyP: usize, wP: usize, dx: usize, B: i32, H: i32, W: i32, Ci: i32,
  OH: i32, OW: i32, Cop: i32, FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  const dyImage = <usize>(OH * OW * Cop) << 2, dxImage = <usize>(H * W * Ci) << 2;
  let b = 0;
  for (; b + 4 <= B; b += 4) {
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        const xo = dx + (<usize>(((b * H + ih) * W + iw) * Ci) << 2);
        for (let ci = 0; ci < Ci; ci++) {
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          for (let fh = 0; fh < FH; fh++) {
            const oh = tapOut(ih, pt, fh, sh, OH);
            if (oh < 0) continue;
            for (let fw = 0; fw < FW; fw++) {
              const ow = tapOut(iw, pl, fw, sw, OW);
              if (ow < 0) continue;
              const dq = dyP + (<usize>(((b * OH + oh) * OW + ow) * Cop) << 2);
              const wq = wP + (<usize>(((fh * FW + fw) * Ci + ci) * Cop) << 2);
              for (let k = 0; k < Cop; k += 4) {
                const o = <usize>k << 2;
                const w = v128.load(wq + o);
                a0 = f32x4.add(a0, f32x4.mul(v128.load(dq + o), w));
                a1 = f32x4.add(a1, f32x4.mul(v128.load(dq + dyImage + o), w));
                a2 = f32x4.add(a2, f32x4.mul(v128.load(dq + 2 * dyImage + o), w));
                a3 = f32x4.add(a3, f32x4.mul(v128.load(dq + 3 * dyImage + o), w));
              }
            }
          }
          const o = xo + (<usize>ci << 2);
          store<f32>(o, hsum(a0));
          store<f32>(o + dxImage, hsum(a1));
          store<f32>(o + 2 * dxImage, hsum(a2));
          store<f32>(o + 3 * dxImage, hsum(a3));
        }
      }
    }
  }
  for (; b < B; b++) {
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        const xo = dx + (<usize>(((b * H + ih) * W + iw) * Ci) << 2);
        for (let ci = 0; ci < Ci; ci++) {
          let acc = f32x4.splat(0);
          for (let fh = 0; fh < FH; fh++) {
            const oh = tapOut(ih, pt, fh, sh, OH);
            if (oh < 0) continue;
            for (let fw = 0; fw < FW; fw++) {
              const ow = tapOut(iw, pl, fw, sw, OW);
              if (ow < 0) continue;
              const dq = dyP + (<usize>(((b * OH + oh) * OW + ow) * Cop) << 2);
              const wq = wP + (<usize>(((fh * FW + fw) * Ci + ci) * Cop) << 2);
              for (let k = 0; k < Cop; k += 4) {
                const o = <usize>k << 2;
                acc = f32x4.add(acc, f32x4.mul(v128.load(dq + o), v128.load(wq + o)));
              }
            }
          }
          store<f32>(xo + (<usize>ci << 2), hsum(acc));
        }
      }
    }
  }
}

function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
