/** Uniform fields of the DequantizeInt8 program, in uniformData order. */
export const DEQUANTIZE_UNIFORMS = 'k : i32, words : i32, rows : i32, channels : i32, transposed : i32, count : i32,';

/** One thread per output value: its byte from the packed row, (q - zeroPoint) · scale in float32. */
export function dequantizeInt8Shader(): string {
  return `
fn main(index : i32) {
  if (index >= uniforms.count) { return; }
  var row : i32;
  var kk : i32;
  if (uniforms.transposed != 0) {
    kk = index / uniforms.rows;
    row = index - kk * uniforms.rows;
  } else {
    row = index / uniforms.k;
    kk = index - row * uniforms.k;
  }
  let c = select(0, row, uniforms.channels > 1);
  let code = extractBits(q[row * uniforms.words + kk / 4], u32(kk % 4) * 8u, 8u);
  result[index] = f32(code - i32(zeroPoint[c])) * scale[c];
}
`;
}
