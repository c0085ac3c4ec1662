/** Uniform fields of the Histogram program, in uniformData order. */
export const HISTOGRAM_UNIFORMS = 'lo : f32, scale : f32, bins : i32, count : i32, stride : i32, iters : i32,';

/** Threads per workgroup; each workgroup keeps a private histogram of up to `localBins` bins. */
export const HISTOGRAM_WG = 256;

/**
 * Counts into a workgroup-local histogram (atomics in workgroup memory, cheap) and flushes the non-zero bins into
 * the global one with one atomicAdd each. `localBins` 0: straight into global memory (more bins than fit in the
 * 4 KB we allow: SwiftShader takes seconds to compile larger workgroup arrays). WGSL zero-initializes workgroup
 * memory, so the local bins start at 0. Threads stride over the input a uniform number of times, so the
 * barriers stay in uniform control flow. Bin: floor(f32(f32(x - lo) · scale)) clamped, non-finite skipped.
 */
export function histogramShader(o: { localBins: number }): string {
  const local = o.localBins > 0;
  return `
${local ? `var<workgroup> localBins : array<atomic<u32>, ${o.localBins}>;` : ''}
fn main(index : i32) {
  let nb = uniforms.bins;
  for (var it = 0; it < uniforms.iters; it = it + 1) {
    let i = index + it * uniforms.stride;
    if (i < uniforms.count) {
      let v = x[i];
      if ((bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u) {
        let bin = i32(clamp(floor((v - uniforms.lo) * uniforms.scale), 0.0, f32(nb - 1)));
        ${local ? 'atomicAdd(&localBins[bin], 1u);' : 'atomicAdd(&result[bin], 1);'}
      }
    }
  }
  ${local ? `workgroupBarrier();
  for (var j = i32(localIndex); j < nb; j = j + ${HISTOGRAM_WG}) {
    let c = atomicLoad(&localBins[j]);
    if (c != 0u) { atomicAdd(&result[j], i32(c)); }
  }` : ''}
}
`;
}
