/** Uniform fields of the digit-histogram program, in uniformData order. */
export const DIGIT_UNIFORMS = 'count : i32, stride : i32, iters : i32, offset : u32, shift : u32, highMask : u32, phase : i32,';

export const DIGIT_WG = 256;

/**
 * One radix-select pass over one tensor: counts the 8-bit digit at `shift` of every key that matches the digits
 * already chosen (`highMask` bits of the prefix in `state`). Phase 0 keys are the bits of |w| (prefix state[0]);
 * phase 1 keys are global indices of the weights whose |w| equals the threshold (prefix state[2]). Local
 * histogram in workgroup memory, then one atomicAdd per non-zero bin into the global one.
 */
export function digitHistogramShader(): string {
  return `
var<workgroup> localBins : array<atomic<u32>, 256>;
fn main(index : i32) {
  let valuePrefix = bitcast<u32>(state[0]);
  let indexPrefix = bitcast<u32>(state[2]);
  let mask = uniforms.highMask;
  for (var it = 0; it < uniforms.iters; it = it + 1) {
    let i = index + it * uniforms.stride;
    if (i < uniforms.count) {
      let key = bitcast<u32>(x[i]) & 0x7fffffffu;
      var digitKey = key;
      var hit = (key & mask) == (valuePrefix & mask);
      if (uniforms.phase == 1) {
        digitKey = uniforms.offset + u32(i);
        hit = key == valuePrefix && (digitKey & mask) == (indexPrefix & mask);
      }
      if (hit) { atomicAdd(&localBins[(digitKey >> uniforms.shift) & 255u], 1u); }
    }
  }
  workgroupBarrier();
  for (var j = i32(localIndex); j < 256; j = j + ${DIGIT_WG}) {
    let c = atomicLoad(&localBins[j]);
    if (c != 0u) { atomicAdd(&result[j], i32(c)); }
  }
}
`;
}

export const SELECT_UNIFORMS = 'shift : u32, phase : i32,';

/**
 * One thread: the digit whose cumulative count first reaches the remaining k; that digit joins the prefix and k
 * drops by the counts below it. state = [value prefix (bits), k remaining, index prefix, 0].
 */
export function selectDigitShader(): string {
  return `
fn main(index : i32) {
  if (index != 0) { return; }
  let krem = state[1];
  var below = 0;
  var digit = 255;
  for (var d = 0; d < 256; d = d + 1) {
    let c = hist[d];
    if (below + c >= krem) { digit = d; break; }
    below = below + c;
  }
  var v = state[0];
  var g = state[2];
  if (uniforms.phase == 0) { v = v | (digit << uniforms.shift); } else { g = g | (digit << uniforms.shift); }
  result[0] = v;
  result[1] = krem - below;
  result[2] = g;
  result[3] = 0;
}
`;
}

export const FINISH_UNIFORMS = 'k : i32, which : i32,';

/** The outputs from the final state: threshold = float of the value bits, index = the index prefix; -1 for k = 0. */
export function finishShader(o: { float: boolean }): string {
  return `
fn main(index : i32) {
  if (index != 0) { return; }
  ${o.float
    ? 'result[0] = select(bitcast<f32>(state[0]), -1.0, uniforms.k == 0);'
    : 'result[0] = select(state[2], -1, uniforms.k == 0);'}
}
`;
}
