// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// FakeQuant and Histogram (docs/numerics.md). f32x4.nearest is round-half-even and f32x4.div is correctly rounded,
// so these match src/core/numerics.ts bit for bit.

/** y = clamp(nearest(x / s), qmin - z, qmax - z) · s, NaN → 0; channel = i % C (C = 1: per tensor). */
export function fakeQuant(x: usize, y: usize, n: i32, C: i32, scales: usize, zps: usize, qmin: i32, qmax: i32): void {
  if (C == 1 || C % 4 == 0) {
    const rows = n / C;
    const cv = C == 1 ? 4 : C;
    const perTensor = C == 1;
    const total = perTensor ? n & ~3 : rows * C;
    let i = 0;
    while (i < total) {
      for (let c = 0; c < cv && i < total; c += 4) {
        const co: usize = perTensor ? 0 : <usize>c << 2;
        const s = perTensor ? f32x4.splat(load<f32>(scales)) : v128.load(scales + co);
        const z = perTensor ? i32x4.splat(load<i32>(zps)) : v128.load(zps + co);
        const lo = i32x4.sub(i32x4.splat(qmin), z), hi = i32x4.sub(i32x4.splat(qmax), z);
        const p = <usize>i << 2;
        const r = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(x + p), s)));
        const q = i32x4.max_s(lo, i32x4.min_s(r, hi));
        v128.store(y + p, f32x4.mul(f32x4.convert_i32x4_s(q), s));
        i += 4;
      }
    }
    for (; i < n; i++) fakeQuantOne(x, y, i, 0, scales, zps, qmin, qmax);
    return;
  }
  for (let i = 0; i < n; i++) fakeQuantOne(x, y, i, i % C, scales, zps, qmin, qmax);
}

function fakeQuantOne(x: usize, y: usize, i: i32, c: i32, scales: usize, zps: usize, qmin: i32, qmax: i32): void {
  const s = load<f32>(scales + (<usize>c << 2));
  const z = load<i32>(zps + (<usize>c << 2));
  let r = <i32>(nearest<f32>(load<f32>(x + (<usize>i << 2)) / s));
  if (r < qmin - z) r = qmin - z;
  if (r > qmax - z) r = qmax - z;
  store<f32>(y + (<usize>i << 2), <f32>r * s);
}

/** counts[floor((x - lo) · scale)] += 1 for finite x, index clamped to [0, bins - 1]. */
export function histogram(x: usize, n: i32, counts: usize, bins: i32, lo: f32, scale: f32): void {
  memory.fill(counts, 0, <usize>bins << 2);
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) continue; // NaN and ±Infinity
    let k = <i32>(floor<f32>((v - lo) * scale));
    if (k < 0) k = 0;
    if (k >= bins) k = bins - 1;
    const p = counts + (<usize>k << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
}
