import { PACK_SNIPPET } from '../webgpu/wgsl.js';

/** Uniform fields of the im2col program, in uniformData order. */
export const IM2COL_UNIFORMS = 'H : i32, W : i32, Ci : i32, Cw : i32, OH : i32, OW : i32, FW : i32, sh : i32, ' +
  'sw : i32, pt : i32, pl : i32, K : i32, Kw : i32, zA : i32, count : i32,';

/**
 * im2col on packed int8: one thread per output word, four taps of one output pixel's (fh, fw, ci) row, read from
 * the packed NHWC input (each pixel's channels padded to whole words). Taps outside the image get the activation
 * zero point — real 0, contributing nothing to Σ (a - zA)·w — and pad lanes stay 0. MatMulInt8 does the rest.
 */
export function im2colInt8Shader(): string {
  return `${PACK_SNIPPET}
fn main(index : i32) {
  if (index >= uniforms.count) { return; }
  let row = index / uniforms.Kw;
  let word = index - row * uniforms.Kw;
  let ow = row % uniforms.OW;
  let rest = row / uniforms.OW;
  let oh = rest % uniforms.OH;
  let b = rest / uniforms.OH;
  let tap = uniforms.FW * uniforms.Ci;
  var codes = vec4<i32>(0);
  for (var lane = 0; lane < 4; lane = lane + 1) {
    let kk = word * 4 + lane;
    if (kk < uniforms.K) {
      let fh = kk / tap;
      let r = kk - fh * tap;
      let fw = r / uniforms.Ci;
      let c = r - fw * uniforms.Ci;
      let ih = oh * uniforms.sh - uniforms.pt + fh;
      let iw = ow * uniforms.sw - uniforms.pl + fw;
      var v = uniforms.zA;
      if (ih >= 0 && ih < uniforms.H && iw >= 0 && iw < uniforms.W) {
        v = sm_byte(x[((b * uniforms.H + ih) * uniforms.W + iw) * uniforms.Cw + c / 4], c % 4);
      }
      codes[lane] = v;
    }
  }
  result[index] = sm_pack4(codes);
}
`;
}
