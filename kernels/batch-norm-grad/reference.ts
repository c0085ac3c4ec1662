/** The fused FusedBatchNorm gradient, pure TS: the single source of truth for its kernels (see the wasm comment). */
export interface BatchNormGradRefArgs {
  /** rows × C, channel last. */
  x: ArrayLike<number>; dy: ArrayLike<number>;
  mean: ArrayLike<number>; variance: ArrayLike<number>; scale?: ArrayLike<number>;
  C: number; eps: number;
}

export interface BatchNormGrads { dx: Float32Array; dmean: Float32Array; dvariance: Float32Array; dscale: Float32Array; doffset: Float32Array }

const f32 = Math.fround;

/**
 * k = f32(r · scale), r = f32(1 / sqrt(f32(var + eps))); dx = f32(dy · k); per channel, in float64 and row order:
 * s1 = Σdy, s2 = Σ f32(dy · f32(x - mean)); dmean = -k·s1, dvar = -0.5·r·r·k·s2, dscale = r·s2, doffset = s1 (to f32).
 */
export function batchNormGradRef(a: BatchNormGradRefArgs): BatchNormGrads {
  const { C } = a;
  const rows = a.x.length / C;
  const r = Float32Array.from({ length: C }, (_, c) => f32(1 / f32(Math.sqrt(f32(a.variance[c]! + f32(a.eps))))));
  const k = Float32Array.from(r, (v, c) => (a.scale ? f32(v * a.scale[c]!) : v));
  const s1 = new Float64Array(C), s2 = new Float64Array(C);
  const dx = new Float32Array(a.x.length);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < C; c++) {
      const d = a.dy[i * C + c]!;
      s1[c]! += d;
      s2[c]! += f32(d * f32(a.x[i * C + c]! - a.mean[c]!));
      dx[i * C + c] = f32(d * k[c]!);
    }
  }
  return {
    dx,
    dmean: Float32Array.from({ length: C }, (_, c) => -k[c]! * s1[c]!),
    dvariance: Float32Array.from({ length: C }, (_, c) => -0.5 * r[c]! * r[c]! * k[c]! * s2[c]!),
    dscale: Float32Array.from({ length: C }, (_, c) => r[c]! * s2[c]!),
    doffset: Float32Array.from(s1),
  };
}
