// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// The gradient of FusedBatchNorm in two passes over the activation (issue 18.4), instead of a dozen tfjs ops.

/**
 * x, dy: rows × C float32 (NHWC flattened), channel = last axis. mean, variance, scale: C floats (scale 0: none).
 * k[c] = f32(r[c] · scale[c]) with r[c] = f32(1 / sqrt(f32(var[c] + eps))); dx = f32(dy · k[c]).
 * Per channel, accumulated in float64: Σdy and Σdy·(x - mean); then
 * dmean = f32(-k · Σdy), dvar = f32(-0.5 · r² · k · Σdy·(x - mean)), dscale = f32(r · Σdy·(x - mean)), doffset = f32(Σdy).
 * acc: 16·C bytes of scratch.
 */
export function batchNormGrad(x: usize, dy: usize, rows: i32, C: i32, mean: usize, variance: usize, scale: usize,
  eps: f32, dx: usize, dmean: usize, dvar: usize, dscale: usize, doffset: usize, acc: usize): void {
  memory.fill(acc, 0, <usize>C << 4);
  const sdy = acc, sxy = acc + (<usize>C << 3);
  const C4 = C & ~3;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * C) << 2), dr = dy + (<usize>(r * C) << 2);
    let c = 0;
    for (; c < C4; c += 4) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const d = v128.load(dr + o);
      const xm = f32x4.sub(v128.load(xr + o), v128.load(mean + o));
      const p = f32x4.mul(d, xm); // f32 product, then accumulated in f64
      v128.store(sdy + o8, f64x2.add(v128.load(sdy + o8), f64x2.promote_low_f32x4(d)));
      v128.store(sdy + o8, f64x2.add(v128.load(sdy + o8, 16), f64x2.promote_low_f32x4(i32x4.shuffle(d, d, 2, 3, 0, 1))), 16);
      v128.store(sxy + o8, f64x2.add(v128.load(sxy + o8), f64x2.promote_low_f32x4(p)));
      v128.store(sxy + o8, f64x2.add(v128.load(sxy + o8, 16), f64x2.promote_low_f32x4(i32x4.shuffle(p, p, 2, 3, 0, 1))), 16);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const d = load<f32>(dr + o);
      const p = d * (load<f32>(xr + o) - load<f32>(mean + o));
      store<f64>(sdy + o8, load<f64>(sdy + o8) + <f64>d);
      store<f64>(sxy + o8, load<f64>(sxy + o8) + <f64>p);
    }
  }
  // k[c] into dmean's slots for the dx pass (overwritten below).
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const r = <f32>1 / sqrt<f32>(load<f32>(variance + o) + eps);
    const k = scale != 0 ? r * load<f32>(scale + o) : r;
    store<f32>(dmean + o, k);
  }
  for (let r = 0; r < rows; r++) {
    const dr = dy + (<usize>(r * C) << 2), xo = dx + (<usize>(r * C) << 2);
    let c = 0;
    for (; c < C4; c += 4) v128.store(xo + (<usize>c << 2), f32x4.mul(v128.load(dr + (<usize>c << 2)), v128.load(dmean + (<usize>c << 2))));
    for (; c < C; c++) store<f32>(xo + (<usize>c << 2), load<f32>(dr + (<usize>c << 2)) * load<f32>(dmean + (<usize>c << 2)));
  }
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2, o8 = <usize>c << 3;
    const r = <f32>1 / sqrt<f32>(load<f32>(variance + o) + eps);
    const k = load<f32>(dmean + o);
    const s1 = load<f64>(sdy + o8), s2 = load<f64>(sxy + o8);
    store<f32>(dmean + o, <f32>(-<f64>k * s1));
    store<f32>(dvar + o, <f32>(-0.5 * <f64>r * <f64>r * <f64>k * s2));
    store<f32>(dscale + o, <f32>(<f64>r * s2));
    store<f32>(doffset + o, <f32>s1);
  }
}
