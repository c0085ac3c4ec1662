/**
 * BatchNormalization folded into the Dense/Conv2D before it (output channels on the last axis):
 *   s = gamma / sqrt(variance + epsilon);  W' = W · s (per output channel);  b' = (b − mean) · s + beta.
 * Exact in real arithmetic; float32 rounding differs from the unfolded model by a few ULPs.
 */
export interface BatchNormParams {
  gamma?: Float32Array;
  beta?: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

export function foldBatchNorm(o: { kernel: Float32Array; bias?: Float32Array; bn: BatchNormParams }): { kernel: Float32Array; bias: Float32Array } {
  const n = o.bn.mean.length;
  const s = Float64Array.from({ length: n }, (_, c) => (o.bn.gamma?.[c] ?? 1) / Math.sqrt(o.bn.variance[c]! + o.bn.epsilon));
  const kernel = o.kernel.map((w, i) => w * s[i % n]!);
  const bias = Float32Array.from({ length: n }, (_, c) => ((o.bias?.[c] ?? 0) - o.bn.mean[c]!) * s[c]! + (o.bn.beta?.[c] ?? 0));
  return { kernel, bias };
}
