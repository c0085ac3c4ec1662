/**
 * The custom graph ops of static int8 GraphModels (docs/graph-models.md "Static int8 compute"): what the writer
 * (src/formats/graph/static-int8.ts) puts in model.json and what `import 'shrinkml/runtime'` registers with
 * tf.registerOp. Names and attrs only, so the writer needs no tfjs kernels.
 *
 * An int8 tensor between these ops is, on backends with the fused int8 kernels (wasm, cpu), packed int8 codes
 * (int32 words of four codes along the channel axis, docs/numerics.md "Packing"); on other backends it is the
 * float32 tensor of the same values (codes dequantized), which the composite (tfjs ops) path computes with.
 */
export const GRAPH_INT8_OPS = {
  /** float x → int8 codes of x. Inputs [x]; attrs scale (f), zero_point (i). */
  quantize: 'ShrinkmlQuantizeInt8',
  /** Inputs [x (int8), codes [fh, fw, in, out], scales [out], bias [out]?]. */
  conv: 'ShrinkmlConv2DInt8',
  /** Inputs [x (int8), codes [fh, fw, in, mult], scales [in·mult], bias [in·mult]?]. */
  depthwise: 'ShrinkmlDepthwiseConv2DInt8',
  /** Inputs [x (int8) [M, K], codes [K, N] ([N, K] with transpose_b), scales [N], bias [N]?]. */
  matmul: 'ShrinkmlMatMulInt8',
  /**
   * Inputs [a (int8), b (int8)] of one shape; attrs channels (i), a_scale / a_zero_point, b_scale / b_zero_point,
   * activation, out_scale / out_zero_point when the sum stays int8 (else float32 out).
   */
  add: 'ShrinkmlAddInt8',
  /**
   * Inputs [x (int8)]; attrs pooling (s: avg | max), ksize / strides (list i, NHWC [1, h, w, 1]), padding (s: SAME |
   * VALID), a_scale / a_zero_point of x's grid. The output is int8 codes on that same grid.
   */
  pool: 'ShrinkmlPoolInt8',
} as const;

/** The int8 ops with a filter (conv, depthwise, matmul). */
export type GraphInt8OpKind = Exclude<keyof typeof GRAPH_INT8_OPS, 'quantize' | 'add' | 'pool'>;

/**
 * Attrs of the compute ops (TF AttrValue JSON in model.json): strides (list i, NHWC [1, sh, sw, 1]), padding
 * (s: SAME | VALID), activation (s: linear | relu | relu6, fused into the epilogue), a_scale (f) / a_zero_point (i)
 * of the input codes, transpose_b (b, matmul), and when the output stays int8 out_scale (f) / out_zero_point (i);
 * without them the output is float32.
 */
export interface GraphInt8Attrs {
  strides?: number[];
  padding?: string;
  activation?: string;
  a_scale: number;
  a_zero_point: number;
  out_scale?: number;
  out_zero_point?: number;
  transpose_b?: boolean;
  /** The add: its second input's codes, and the true channel count of both (packed rows of ceil(channels/4) words). */
  b_scale?: number;
  b_zero_point?: number;
  channels?: number;
  /** The pool: avg or max, and its window (NHWC [1, h, w, 1]). */
  pooling?: string;
  ksize?: number[];
}
