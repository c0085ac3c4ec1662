// @ts-nocheck -- AssemblyScript, compiled by kernels/wasm/build.mjs (asc --enable simd), not by tsc.
// float32 element-wise ops where one operand repeats along the other (a per-channel [1, 1, 1, C] against an NHWC
// activation: BatchNorm's training ops), which tfjs-backend-wasm runs on its generic broadcasting loop.

/**
 * out[i] = big[i] op small[i % S] (op 0 add, 1 sub, 2 mul, 3 div) (or small[i % S] op big[i] when smallFirst), n elements. `pat` is scratch of
 * L = lcm(S, 4) floats: small tiled, so whole blocks of L elements run as vectors against it. One IEEE float32
 * operation per element, as the scalar loop: the same bits.
 */
export function suffixBinary(big: usize, n: i32, small: usize, S: i32, out: usize, op: i32, smallFirst: bool, pat: usize): void {
  let L = S;
  while (L & 3) L += S;
  for (let j = 0; j < L; j++) store<f32>(pat + (<usize>j << 2), load<f32>(small + (<usize>(j % S) << 2)));
  const blocks = n / L, span = <usize>L << 2;
  const code = op * 2 + (smallFirst ? 1 : 0);
  for (let b = 0; b < blocks; b++) {
    const x = big + <usize>b * span, o = out + <usize>b * span;
    switch (code) {
      case 0: case 1: for (let j: usize = 0; j < span; j += 16) v128.store(o + j, f32x4.add(v128.load(x + j), v128.load(pat + j))); break;
      case 2: for (let j: usize = 0; j < span; j += 16) v128.store(o + j, f32x4.sub(v128.load(x + j), v128.load(pat + j))); break;
      case 3: for (let j: usize = 0; j < span; j += 16) v128.store(o + j, f32x4.sub(v128.load(pat + j), v128.load(x + j))); break;
      case 4: case 5: for (let j: usize = 0; j < span; j += 16) v128.store(o + j, f32x4.mul(v128.load(x + j), v128.load(pat + j))); break;
      case 6: for (let j: usize = 0; j < span; j += 16) v128.store(o + j, f32x4.div(v128.load(x + j), v128.load(pat + j))); break;
      default: for (let j: usize = 0; j < span; j += 16) v128.store(o + j, f32x4.div(v128.load(pat + j), v128.load(x + j)));
    }
  }
  for (let i = blocks * L; i < n; i++) {
    const v = load<f32>(big + (<usize>i << 2)), s = load<f32>(small + (<usize>(i % S) << 2));
    let r: f32;
    switch (code) {
      case 0: case 1: r = v + s; break;
      case 2: r = v - s; break;
      case 3: r = s - v; break;
      case 4: case 5: r = v * s; break;
      case 6: r = v / s; break;
      default: r = s / v;
    }
    store<f32>(out + (<usize>i << 2), r);
  }
}
