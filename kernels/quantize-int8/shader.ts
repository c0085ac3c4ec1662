import { PACK_SNIPPET, quantizeSnippet } from '../webgpu/wgsl.js';

/** Uniform fields of the QuantizeInt8 program, in uniformData order. */
export const QUANTIZE_UNIFORMS =
  'words : i32, k : i32, rowStride : i32, kStride : i32, channels : i32, qmin : i32, qmax : i32, count : i32,';

/**
 * One thread per output word: four codes of one row, read through (rowStride, kStride) so the same pipeline
 * packs rows ([R, K], strides (K, 1)) and transposed columns ([K, R], strides (1, R)). Pad lanes stay 0.
 */
export function quantizeInt8Shader(o: { alwaysExact: boolean }): string {
  return `${quantizeSnippet(o.alwaysExact)}${PACK_SNIPPET}
fn main(index : i32) {
  if (index >= uniforms.count) { return; }
  let row = index / uniforms.words;
  let word = index - row * uniforms.words;
  let c = select(0, row, uniforms.channels > 1);
  let s = scale[c];
  let zp = i32(zeroPoint[c]);
  var codes = vec4<i32>(0);
  for (var lane = 0; lane < 4; lane = lane + 1) {
    let kk = word * 4 + lane;
    if (kk < uniforms.k) {
      codes[lane] = sm_quantize(x[row * uniforms.rowStride + kk * uniforms.kStride], s, zp, uniforms.qmin, uniforms.qmax);
    }
  }
  result[index] = sm_pack4(codes);
}
`;
}
