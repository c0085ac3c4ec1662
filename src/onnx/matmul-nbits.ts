import { roundHalfEven } from '../core/numerics.js';
import type { NodeProto } from '../formats/onnx/proto.js';
import { makeTensor, tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { attr, getFloat, getInt } from './attrs.js';
import { floatConstant } from './constants.js';
import { node, type GraphEditor } from './graph.js';

/**
 * 4-bit MatMul/Gemm weights as com.microsoft MatMulNBits (version 1), in the layout transformers.js's q4 files use,
 * which onnxruntime (CPU, WebAssembly, WebGPU) runs:
 * - B: uint8 [N, ceil(K/32), 16]: column n's block b holds k = 32b .. 32b+31, two codes a byte, low nibble first;
 * - scales: float32 [N · ceil(K/32)], one per block, symmetric (scale = amax / 7, codes q + 8 in [1, 15]);
 * - no zero_points input (the implicit zero point is 8), bits 4, block_size 32, accuracy_level unset.
 * ONNX's INT4 tensor type is not used (the codec's schema stops before it).
 */
export const INT4_BLOCK = 32;

export interface Int4Weights { packed: Uint8Array; scales: Float32Array; blocks: number }

/** Quantizes W given as [K, N] (row-major, column n = output n) into MatMulNBits' B and scales. */
export function packInt4(w: Float32Array, k: number, n: number, options: { transposed?: boolean } = {}): Int4Weights {
  const at = options.transposed ? (kk: number, nn: number) => w[nn * k + kk]! : (kk: number, nn: number) => w[kk * n + nn]!;
  const blocks = Math.ceil(k / INT4_BLOCK);
  const packed = new Uint8Array(n * blocks * (INT4_BLOCK / 2));
  const scales = new Float32Array(n * blocks);
  for (let c = 0; c < n; c++) {
    for (let b = 0; b < blocks; b++) {
      let amax = 0;
      for (let i = b * INT4_BLOCK; i < Math.min(k, (b + 1) * INT4_BLOCK); i++) amax = Math.max(amax, Math.abs(at(i, c)));
      const scale = amax > 0 ? Math.fround(amax / 7) : 1;
      scales[c * blocks + b] = scale;
      for (let j = 0; j < INT4_BLOCK; j++) {
        const i = b * INT4_BLOCK + j;
        const q = i < k ? Math.max(-8, Math.min(7, roundHalfEven(at(i, c) / scale))) + 8 : 8;
        const byte = (c * blocks + b) * (INT4_BLOCK / 2) + (j >> 1);
        packed[byte] = packed[byte]! | (j & 1 ? q << 4 : q);
      }
    }
  }
  return { packed, scales, blocks };
}

/** What packInt4's codes mean, as a float [K, N] matrix: the reference a MatMulNBits output is checked against. */
export function unpackInt4(p: Int4Weights, k: number, n: number): Float32Array {
  const out = new Float32Array(k * n);
  for (let c = 0; c < n; c++) for (let i = 0; i < k; i++) {
    const b = Math.floor(i / INT4_BLOCK);
    const j = i % INT4_BLOCK;
    const byte = p.packed[(c * p.blocks + b) * (INT4_BLOCK / 2) + (j >> 1)]!;
    const q = (j & 1 ? byte >> 4 : byte & 15) - 8;
    out[i * n + c] = q * p.scales[c * p.blocks + b]!;
  }
  return out;
}

/**
 * Rewrites a MatMul/Gemm whose B is a 2-D float constant into MatMulNBits (Gemm's C·beta added after it, alpha
 * folded into the scales). Returns the weight it replaced, or why it did not.
 */
export function toMatMulNBits(g: GraphEditor, n: NodeProto): { weight: string; shape: number[]; bytes: number } | string {
  const isGemm = n.opType === 'Gemm';
  if (isGemm && getInt(n, 'transA', 0) !== 0) return 'Gemm with transA';
  const [a, bName, c] = n.input ?? [];
  const w = floatConstant(g, bName ?? '');
  if (!w || w.dims.length !== 2) return 'its weight is not a 2-D float constant';
  if (isGemm && c && getFloat(n, 'beta', 1) !== 1 && !g.weight(c)) return 'its bias is computed and beta is not 1';
  const transB = isGemm && getInt(n, 'transB', 0) === 1;
  const [k, cols] = (transB ? [w.dims[1], w.dims[0]] : w.dims) as [number, number];
  const p = packInt4(w.values, k, cols, { transposed: transB });
  const alpha = isGemm ? getFloat(n, 'alpha', 1) : 1;
  if (alpha !== 1) for (let i = 0; i < p.scales.length; i++) p.scales[i] = Math.fround(p.scales[i]! * alpha);
  const bq = g.addInitializer(makeTensor({ name: g.unique(`${bName}_q4`), dims: [cols, p.blocks, INT4_BLOCK / 2], dtype: 'uint8', values: p.packed }));
  const scales = g.addInitializer(makeTensor({ name: g.unique(`${bName}_q4_scales`), dims: [cols * p.blocks], dtype: 'float32', values: p.scales }));
  const out = n.output![0]!;
  const hasBias = isGemm && Boolean(c);
  const mm = g.unique(`${n.name || out}_MatMulNBits`);
  const y = hasBias ? g.unique(`${out}_nobias`) : out;
  const nodes: NodeProto[] = [{
    ...node('MatMulNBits', [a!, bq, scales], [y], mm, [attr.int('K', k), attr.int('N', cols), attr.int('bits', 4), attr.int('block_size', INT4_BLOCK)]),
    domain: 'com.microsoft',
  }];
  if (hasBias) {
    const beta = getFloat(n, 'beta', 1);
    let bias = c!;
    if (beta !== 1) {
      const cw = g.weight(c!);
      const values = tensorToFloat32(cw!.tensor).map((v) => v * beta);
      bias = g.addInitializer(makeTensor({ name: g.unique(`${c}_beta`), dims: tensorDims(cw!.tensor), dtype: 'float32', values }));
    }
    nodes.push(node('Add', [y, bias], [out], g.unique(`${mm}_bias_Add`)));
  }
  g.replace(n, nodes);
  return { weight: bName!, shape: w.dims, bytes: p.packed.length + 4 * p.scales.length };
}
