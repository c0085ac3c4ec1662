/**
 * WGSL building blocks shared by our kernels. Names start with `sm_` so they never collide with the prelude
 * tfjs-backend-webgpu prepends to every program (isnan, getIndexFromCoords*, uniforms, result...).
 */

/** int8×4 dot product of two packed words (lane 0 = lowest byte, docs/numerics.md), exact in i32. */
export function dot4Snippet(native: boolean): string {
  return native ? `
fn sm_dot4(a : i32, b : i32) -> i32 { return dot4I8Packed(bitcast<u32>(a), bitcast<u32>(b)); }
fn sm_sum4(a : i32) -> i32 { return dot4I8Packed(bitcast<u32>(a), 0x01010101u); }
` : `
// Portable path: core WGSL only. extractBits on i32 sign-extends; >> on i32 is arithmetic.
fn sm_dot4(a : i32, b : i32) -> i32 {
  return extractBits(a, 0u, 8u) * extractBits(b, 0u, 8u) + extractBits(a, 8u, 8u) * extractBits(b, 8u, 8u) +
         extractBits(a, 16u, 8u) * extractBits(b, 16u, 8u) + (a >> 24u) * (b >> 24u);
}
fn sm_sum4(a : i32) -> i32 {
  return extractBits(a, 0u, 8u) + extractBits(a, 8u, 8u) + extractBits(a, 16u, 8u) + (a >> 24u);
}
`;
}

/** Byte lanes of packed words, and packing codes back (low 8 bits of each lane; core WGSL, no feature needed). */
export const PACK_SNIPPET = `
fn sm_byte(word : i32, lane : i32) -> i32 { return extractBits(word, u32(lane) * 8u, 8u); }
fn sm_pack4(v : vec4<i32>) -> i32 {
  let u = bitcast<vec4<u32>>(v) & vec4<u32>(0xffu);
  return bitcast<i32>(u.x | (u.y << 8u) | (u.z << 16u) | (u.w << 24u));
}
`;

/**
 * float32 conversions that WGSL leaves loose, done exactly:
 * - sm_i32_to_f32: WGSL lets i32 → f32 round either way when |v| > 2^24; the spec (and JS) round to nearest even.
 * - sm_div_rne: WGSL's x / y is only accurate to 2.5 ULP; quantization needs the correctly rounded quotient where
 *   it decides a rounding tie. Integer long division of the mantissas, normal operands, y > 0.
 * - sm_opaque: a product passed through it cannot be fused with a following add into an FMA (the driver cannot
 *   see through an OR with a uniform that happens to be 0), so y = p + bias rounds twice like the reference.
 */
export const EXACT_SNIPPET = `
fn sm_i32_to_f32(v : i32) -> f32 {
  if (v >= -16777216 && v <= 16777216) { return f32(v); }
  let u = select(bitcast<u32>(v), bitcast<u32>(-v), v < 0);  // -(-2^31) wraps to 2^31 as u32: still right
  let shift = firstLeadingBit(u) - 23u;
  var m = u >> shift;
  let rem = u & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (m & 1u) == 1u)) { m = m + 1u; }
  let mag = ldexp(f32(m), i32(shift));
  return select(mag, -mag, v < 0);
}

fn sm_div_rne(x : f32, y : f32) -> f32 {
  let xb = bitcast<u32>(x);
  let yb = bitcast<u32>(y);
  let sign = xb & 0x80000000u;
  let ex = i32((xb >> 23u) & 0xffu);
  let ey = i32((yb >> 23u) & 0xffu);
  if (ex == 0) { return bitcast<f32>(sign); }  // zero (or a denormal, which GPUs flush): quotient 0
  var rem = (xb & 0x7fffffu) | 0x800000u;
  let my = (yb & 0x7fffffu) | 0x800000u;
  var e = ex - ey;
  if (rem < my) { rem = rem << 1u; e = e - 1; }  // now rem / my is in [1, 2)
  var q = 0u;
  for (var i = 0; i < 25; i = i + 1) {  // 24 mantissa bits and a guard bit
    q = q << 1u;
    if (rem >= my) { rem = rem - my; q = q | 1u; }
    rem = rem << 1u;
  }
  var m = q >> 1u;
  if ((q & 1u) == 1u && (rem != 0u || (m & 1u) == 1u)) { m = m + 1u; }
  if (m == 0x1000000u) { m = m >> 1u; e = e + 1; }
  let be = e + 127;
  if (be <= 0) { return bitcast<f32>(sign); }  // below the normal range: rounds to a zero code anyway
  if (be >= 255) { return bitcast<f32>(sign | 0x7f800000u); }
  return bitcast<f32>(sign | (u32(be) << 23u) | (m & 0x7fffffu));
}

fn sm_opaque(x : f32, zero : u32) -> f32 { return bitcast<f32>(bitcast<u32>(x) | zero); }
`;

/**
 * q = clamp(roundHalfEven(f32(x / scale)) + zeroPoint, qmin, qmax), NaN → zeroPoint (docs/numerics.md).
 * The fast quotient decides everything except near a .5 tie, where the exact quotient takes over; beyond
 * |x / scale| > 1024 the code clamps whatever the rounding (|zeroPoint| ≤ 255). `alwaysExact` is for tests.
 */
export function quantizeSnippet(alwaysExact: boolean): string {
  return `${EXACT_SNIPPET}
fn sm_is_nan(x : f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }

fn sm_quantize(x : f32, scale : f32, zp : i32, qmin : i32, qmax : i32) -> i32 {
  if (sm_is_nan(x)) { return zp; }
  let q0 = x / scale;
  var r : f32;
  if (abs(q0) > 1024.0) {
    r = clamp(q0, -2048.0, 2048.0);
  } else {
    let a = abs(q0);
    // A branch, not select(): select evaluates both sides and the long division would always run.
    if (${alwaysExact ? 'true' : 'abs(a - floor(a) - 0.5) < 0.00390625'}) { r = round(sm_div_rne(x, scale)); } else { r = round(q0); }
  }
  return clamp(i32(r) + zp, qmin, qmax);
}
`;
}
