/** Uniform fields of the ChannelMinMax program, in uniformData order. */
export const CHANNEL_MINMAX_UNIFORMS = 'rows : i32, channels : i32, rowsPerThread : i32, count : i32,';

/** Rows each thread folds per pass: passes shrink the row count by this factor until one row is left. */
export const ROWS_PER_THREAD = 64;

/**
 * One thread per (row block, channel): adjacent threads read adjacent channels. The first pass reads x [R, C];
 * later passes ('merge') fold partials [S, 3, C] of earlier ones. Comparisons, not min()/max() (whose NaN
 * behaviour WGSL leaves open), so NaN is skipped; min and max are exact, so the result is order-independent.
 */
export function channelMinMaxShader(o: { first: boolean }): string {
  const read = o.first
    ? 'let v = x[r * C + c]; let vmn = v; let vmx = v; let vam = abs(v);'
    : 'let vmn = x[(r * 3) * C + c]; let vmx = x[(r * 3 + 1) * C + c]; let vam = x[(r * 3 + 2) * C + c];';
  return `
fn sm_canonical(v : f32) -> f32 { return select(v, 0.0, bitcast<u32>(v) == 0x80000000u); }

fn main(index : i32) {
  if (index >= uniforms.count) { return; }
  let C = uniforms.channels;
  let c = index % C;
  let block = index / C;
  var mn = uniforms.INFINITY;  // a const bitcast to inf is a WGSL error; tfjs passes one
  var mx = -uniforms.INFINITY;
  var am = 0.0;
  let r0 = block * uniforms.rowsPerThread;
  let r1 = min(uniforms.rows, r0 + uniforms.rowsPerThread);
  for (var r = r0; r < r1; r = r + 1) {
    ${read}
    if (vmn < mn) { mn = vmn; }
    if (vmx > mx) { mx = vmx; }
    if (vam > am) { am = vam; }
  }
  result[(block * 3) * C + c] = sm_canonical(mn);
  result[(block * 3 + 1) * C + c] = sm_canonical(mx);
  result[(block * 3 + 2) * C + c] = am;
}
`;
}
