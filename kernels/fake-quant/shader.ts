import { quantizeSnippet } from '../webgpu/wgsl.js';

/** Uniform fields of the FakeQuant program, in uniformData order. */
export const FAKE_QUANT_UNIFORMS = 'count : i32, channels : i32, qmin : i32, qmax : i32,';

/** One thread per value: channel = index mod C (the last axis), dequantize(quantize(x)) in float32. */
export function fakeQuantShader(o: { alwaysExact: boolean }): string {
  return `${quantizeSnippet(o.alwaysExact)}
fn main(index : i32) {
  if (index >= uniforms.count) { return; }
  let c = index % uniforms.channels;
  let s = scale[c];
  let zp = i32(zeroPoint[c]);
  let q = sm_quantize(x[index], s, zp, uniforms.qmin, uniforms.qmax);
  result[index] = f32(q - zp) * s;
}
`;
}
