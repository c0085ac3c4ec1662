/** Uniform fields of the weight-only program, in uniformData order. */
export const WEIGHT_ONLY_UNIFORMS = 'M : i32, N : i32, K : i32, Kw : i32,';

/** Output channels per workgroup × threads per channel (256 threads). */
export const ROWS = 8;
export const LANES = 32;

/**
 * GEMV-shaped: a workgroup computes ROWS output channels for `mRows` activation rows (1 at batch 1; 4 for larger
 * batches, so each weight word read serves 4 rows). LANES threads per channel walk its packed weight row a word
 * at a time (neighbours read neighbouring words), widen the four int8 to float once, multiply-add them against
 * each activation row, and a tree in workgroup memory sums the lanes; the scale is applied once at the end.
 */
export function weightOnlyShader(o: { hasBias: boolean; mRows: number }): string {
  const MR = o.mRows;
  return `
var<workgroup> partial : array<f32, ${MR * ROWS * LANES}>;

fn main() {
  let lane = i32(localId.x);
  let r = i32(localId.y);
  let n = i32(workgroupId.x) * ${ROWS} + r;
  let m0 = i32(workgroupId.y) * ${MR};
  let K = uniforms.K;
  let Kw = uniforms.Kw;
  var acc : array<f32, ${MR}>;
  if (n < uniforms.N) {
    let wRow = n * Kw;
    for (var kw = lane; kw < Kw; kw = kw + ${LANES}) {
      let word = w[wRow + kw];
      let k0 = kw * 4;
      let w0 = f32(extractBits(word, 0u, 8u));
      let w1 = f32(extractBits(word, 8u, 8u));
      let w2 = f32(extractBits(word, 16u, 8u));
      let w3 = f32(word >> 24u);
      for (var i = 0; i < ${MR}; i = i + 1) {
        let m = m0 + i;
        if (m < uniforms.M) {
          let xRow = m * K + k0;
          if (k0 + 3 < K) {
            acc[i] = acc[i] + w0 * x[xRow] + w1 * x[xRow + 1] + w2 * x[xRow + 2] + w3 * x[xRow + 3];
          } else {
            // K tail: pad bytes are 0, but x has no element there to read.
            acc[i] = acc[i] + w0 * x[xRow];
            if (k0 + 1 < K) { acc[i] = acc[i] + w1 * x[xRow + 1]; }
            if (k0 + 2 < K) { acc[i] = acc[i] + w2 * x[xRow + 2]; }
          }
        }
      }
    }
  }
  for (var i = 0; i < ${MR}; i = i + 1) { partial[(i * ${ROWS} + r) * ${LANES} + lane] = acc[i]; }
  workgroupBarrier();
  for (var s = ${LANES / 2}; s > 0; s = s >> 1u) {
    if (lane < s) {
      for (var i = 0; i < ${MR}; i = i + 1) {
        let slot = (i * ${ROWS} + r) * ${LANES} + lane;
        partial[slot] = partial[slot] + partial[slot + s];
      }
    }
    workgroupBarrier();
  }
  if (lane == 0 && n < uniforms.N) {
    for (var i = 0; i < ${MR}; i = i + 1) {
      let m = m0 + i;
      if (m < uniforms.M) {
        result[m * uniforms.N + n] = partial[(i * ${ROWS} + r) * ${LANES}] * wScale[n] + ${o.hasBias ? 'bias[n]' : '0.0'};
      }
    }
  }
}
`;
}
