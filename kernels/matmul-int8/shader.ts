import { dot4Snippet, EXACT_SNIPPET } from '../webgpu/wgsl.js';

/** Uniform fields of the MatMulInt8 program, in uniformData order. */
export const MATMUL_INT8_UNIFORMS =
  'M : i32, N : i32, K : i32, Kw : i32, aScale : f32, aZeroPoint : i32, opaqueZero : u32,';

export interface MatMulInt8ShaderOptions {
  /** dot4I8Packed, or the portable extractBits path. */
  native: boolean;
  hasBias: boolean;
  hasZeroPoints: boolean;
}

/** Tile: 8×8 threads, each 4×4 outputs → 32×32 outputs per workgroup; K advances 8 words (32 int8) per step. */
export const TILE = 32;

/**
 * y = f32(Σ (a - zA)(w - zW[n])) · f32(sA · sW[n]) + bias[n]. The int32 sum is Σ a·w (dot4 on packed words,
 * through workgroup memory) corrected by zero points with row sums, which threads compute once per tile while
 * the others multiply: acc - zA·Σw[n] - zW[n]·Σa[m] + K·zA·zW[n]. Pad bytes are 0 and add nothing to any sum.
 */
export function matMulInt8Shader(o: MatMulInt8ShaderOptions): string {
  return `${dot4Snippet(o.native)}${EXACT_SNIPPET}
var<workgroup> tileA : array<array<i32, 8>, 32>;
var<workgroup> tileW : array<array<i32, 8>, 32>;
var<workgroup> rowSums : array<i32, 64>;  // [0, 32): rows of a, [32, 64): rows of w

fn main() {
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let t = ty * 8 + tx;
  let row0 = i32(workgroupId.y) * 32;
  let col0 = i32(workgroupId.x) * 32;
  let Kw = uniforms.Kw;
  var acc : array<array<i32, 4>, 4>;
  var mySum = 0;
  for (var k0 = 0; k0 < Kw; k0 = k0 + 8) {
    for (var i = 0; i < 4; i = i + 1) {
      let e = t + i * 64;
      let r = e / 8;
      let c = e % 8;
      let gk = k0 + c;
      var va = 0;
      var vw = 0;
      if (row0 + r < uniforms.M && gk < Kw) { va = a[(row0 + r) * Kw + gk]; }
      if (col0 + r < uniforms.N && gk < Kw) { vw = w[(col0 + r) * Kw + gk]; }
      tileA[r][c] = va;
      tileW[r][c] = vw;
    }
    workgroupBarrier();
    for (var c = 0; c < 8; c = c + 1) {
      if (t < 32) { mySum = mySum + sm_sum4(tileA[t][c]); } else { mySum = mySum + sm_sum4(tileW[t - 32][c]); }
    }
    for (var c = 0; c < 8; c = c + 1) {
      var av : array<i32, 4>;
      var wv : array<i32, 4>;
      for (var i = 0; i < 4; i = i + 1) { av[i] = tileA[ty * 4 + i][c]; wv[i] = tileW[tx * 4 + i][c]; }
      for (var i = 0; i < 4; i = i + 1) {
        for (var j = 0; j < 4; j = j + 1) { acc[i][j] = acc[i][j] + sm_dot4(av[i], wv[j]); }
      }
    }
    workgroupBarrier();
  }
  rowSums[t] = mySum;
  workgroupBarrier();
  let zA = uniforms.aZeroPoint;
  for (var i = 0; i < 4; i = i + 1) {
    let m = row0 + ty * 4 + i;
    if (m >= uniforms.M) { break; }
    for (var j = 0; j < 4; j = j + 1) {
      let n = col0 + tx * 4 + j;
      if (n >= uniforms.N) { break; }
      let zW = ${o.hasZeroPoints ? 'wZeroPoint[n]' : '0'};
      let total = acc[i][j] - zA * rowSums[32 + tx * 4 + j] - zW * rowSums[ty * 4 + i] + uniforms.K * zA * zW;
      let s = uniforms.aScale * wScale[n];
      let p = sm_opaque(sm_i32_to_f32(total) * s, uniforms.opaqueZero);
      result[m * uniforms.N + n] = p + ${o.hasBias ? 'bias[n]' : '0.0'};
    }
  }
}
`;
}
