import * as tf from '@tensorflow/tfjs';
import type { GraphFiles, KernelStats, NodeDef } from '../formats/graph/index.js';
import { attrString, graphNodes, producerOf, tensorName } from '../formats/graph/index.js';

/**
 * Input statistics of each quantized kernel of a graph model (formats/graph/correction.ts uses them): the mean of the
 * node's im2col patch over the reduction — [kh, kw, in] in the kernel's own order, padding included, so bias
 * correction is exact for border positions too — and, for GPTQ, E[x xᵀ] of the patch (per input channel for a
 * depthwise kernel) on a seeded subsample of the rows. Patches are built from strided slices of the padded input,
 * one per tap, with the node's strides, dilations and padding.
 */
export interface KernelPlan {
  weight: string;
  node: string;
  /** The node's activation input as execute() names it. */
  input: string;
  kind: 'conv' | 'depthwise' | 'matmul';
  /** Reduction size (conv: kh·kw·in, depthwise: kh·kw, matmul: K). */
  size: number;
  conv?: { kh: number; kw: number; cin: number; strides: [number, number]; dilations: [number, number]; padding: string; explicit?: number[] };
}

const CONV = new Set(['Conv2D', '_FusedConv2D']);
const DEPTHWISE = new Set(['DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative']);
const MATMUL = new Set(['MatMul', '_FusedMatMul', 'BatchMatMul', 'BatchMatMulV2']);
/** Largest reduction whose E[x xᵀ] is collected: GPTQ's factorisation is O(size³) in plain JS. */
export const MAX_GRAM_SIZE = 1536;
/** Patch rows per batch that E[x xᵀ] is estimated on (a subsample of a large feature map). */
const GRAM_ROWS = 2048;

const ints = (attr: any): number[] | undefined => attr?.list?.i?.map((v: string | number) => Number(v));

/** The kernels whose reader lets their input be observed; the rest keep data-free rounding. */
export function planKernelStats(g: GraphFiles): KernelPlan[] {
  const { main } = graphNodes(g.json.modelTopology as Record<string, any>);
  const byName = new Map(main.map((n) => [n.name, n]));
  const plans: KernelPlan[] = [];
  for (const w of g.weights) {
    const role = g.roles.get(w.name);
    if (!role || (role.kind !== 'conv' && role.kind !== 'depthwise') || role.inFunction || role.readers.length !== 1 || !(w.values instanceof Float32Array)) continue;
    const r = role.readers[0]!;
    const node = byName.get(r.slice(r.indexOf(':') + 1));
    const inputs = (node?.input ?? []).filter((i) => !i.startsWith('^'));
    if (!node || inputs.length < 2 || producerOf(inputs[1]!).name !== w.name) continue;
    const plan = planOf(node, w.shape, role.kind);
    if (plan) plans.push({ weight: w.name, node: node.name, input: tensorName(inputs[0]!), ...plan });
  }
  return plans;
}

function planOf(node: NodeDef, shape: number[], kind: 'conv' | 'depthwise'): Pick<KernelPlan, 'kind' | 'size' | 'conv'> | null {
  const attr = node.attr ?? {};
  if (MATMUL.has(node.op)) {
    if (attr.transpose_a?.b || attr.adj_x?.b || shape.length !== 2) return null;
    const transposed = attr.transpose_b?.b || attr.adj_y?.b;
    return { kind: 'matmul', size: transposed ? shape[1]! : shape[0]! };
  }
  const format = attrString(attr.data_format?.s) ?? 'NHWC';
  if (format !== 'NHWC' || shape.length !== 4) return null;
  if (!(kind === 'conv' ? CONV : DEPTHWISE).has(node.op)) return null;
  const s = ints(attr.strides) ?? [1, 1, 1, 1];
  const d = ints(attr.dilations) ?? [1, 1, 1, 1];
  const padding = attrString(attr.padding?.s) ?? 'VALID';
  if (padding !== 'SAME' && padding !== 'VALID' && padding !== 'EXPLICIT') return null;
  const [kh, kw, cin] = shape as [number, number, number, number];
  return {
    kind, size: kind === 'conv' ? kh * kw * cin : kh * kw,
    conv: { kh, kw, cin, strides: [s[1]!, s[2]!], dilations: [d[1]!, d[2]!], padding, ...(padding === 'EXPLICIT' ? { explicit: ints(attr.explicit_paddings) } : {}) },
  };
}

/** One tensor per tap, [N, OH, OW, in]: the input values tap (th, tw) meets at every output position. */
function taps(a: tf.Tensor4D, c: NonNullable<KernelPlan['conv']>): tf.Tensor4D[] {
  const [n, h, w, ch] = a.shape;
  const [sh, sw] = c.strides;
  const [dh, dw] = c.dilations;
  const span = (k: number, d: number) => (k - 1) * d + 1;
  let pads: [number, number, number, number] = [0, 0, 0, 0];
  if (c.padding === 'SAME') {
    const total = (size: number, s: number, k: number, d: number) => Math.max((Math.ceil(size / s) - 1) * s + span(k, d) - size, 0);
    const th = total(h, sh, c.kh, dh);
    const tw = total(w, sw, c.kw, dw);
    pads = [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  } else if (c.padding === 'EXPLICIT' && c.explicit) {
    pads = [c.explicit[2]!, c.explicit[3]!, c.explicit[4]!, c.explicit[5]!];
  }
  const x = pads.some((p) => p > 0) ? tf.pad(a, [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]]) : a;
  const oh = Math.floor((h + pads[0] + pads[1] - span(c.kh, dh)) / sh) + 1;
  const ow = Math.floor((w + pads[2] + pads[3] - span(c.kw, dw)) / sw) + 1;
  const out: tf.Tensor4D[] = [];
  for (let i = 0; i < c.kh; i++) {
    for (let j = 0; j < c.kw; j++) {
      out.push(tf.stridedSlice(x, [0, i * dh, j * dw, 0], [n, i * dh + sh * (oh - 1) + 1, j * dw + sw * (ow - 1) + 1, ch], [1, sh, sw, 1]) as tf.Tensor4D);
    }
  }
  return out;
}

/**
 * Streams one kernel's statistics batch by batch. `paired` (error compensation, quantize/graph-compensate.ts) takes
 * the kernel's input in the float model x and in the quantized model x̃ on the same feed, and collects E[x̃],
 * E[x̃ x̃ᵀ] and the cross term E[x x̃ᵀ] on the same subsampled rows of both (`KernelStats.compensation`).
 */
export class KernelStatsCollector {
  private sum: Float64Array;
  private gram?: Float64Array;
  private quantizedSum?: Float64Array;
  private cross?: Float64Array;
  private rows = 0;
  private gramRows = 0;
  private seed: number;

  constructor(readonly plan: KernelPlan, wantGram: boolean, seed = 1, paired = false) {
    const c = plan.conv;
    const means = plan.kind === 'depthwise' ? plan.size * c!.cin : plan.size;
    const grams = plan.kind === 'depthwise' ? c!.cin * plan.size * plan.size : plan.size * plan.size;
    this.sum = new Float64Array(means);
    if ((wantGram || paired) && plan.size <= MAX_GRAM_SIZE) this.gram = new Float64Array(grams);
    if (paired) {
      this.quantizedSum = new Float64Array(means);
      if (this.gram) this.cross = new Float64Array(grams);
    }
    this.seed = seed >>> 0;
  }

  /** One batch: `value` the kernel's input; with `paired`, `quantized` its input in the quantized model. */
  async collect(value: tf.Tensor, quantized?: tf.Tensor): Promise<void> {
    const p = this.plan;
    if (Boolean(quantized) !== Boolean(this.quantizedSum)) throw new Error(`kernel statistics of '${p.node}': a paired collector takes both models' inputs, a plain one only the float's`);
    // rows: [P, K] patches (conv, matmul) or [P, taps, in] (depthwise).
    let rows = 0;
    const patches = (v: tf.Tensor) => {
      const x = tf.cast(v, 'float32');
      if (p.kind === 'matmul') return x.reshape([-1, p.size]);
      const t = taps(x as tf.Tensor4D, p.conv!);
      return p.kind === 'conv' ? tf.concat(t, 3).reshape([-1, p.size]) : tf.stack(t, 3).reshape([-1, p.size, p.conv!.cin]);
    };
    // E[a bᵀ] summed over rows: one size × size matrix, or per input channel for depthwise.
    const outer = (a: tf.Tensor, b: tf.Tensor) => (p.kind === 'depthwise'
      ? tf.matMul(a.transpose([2, 1, 0]) as tf.Tensor3D, b.transpose([2, 0, 1]) as tf.Tensor3D)
      : tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false));
    const out = tf.tidy(() => {
      const m = patches(value);
      const mq = quantized ? patches(quantized) : undefined;
      rows = m.shape[0]!;
      const sum = m.sum(0);
      const quantizedSum = mq?.sum(0);
      if (!this.gram) return { sum, quantizedSum };
      const index = rows > GRAM_ROWS ? this.sample(rows, GRAM_ROWS) : undefined;
      const picked = index ? tf.gather(m, index) : m;
      const pickedQ = mq && index ? tf.gather(mq, index) : mq;
      this.gramRows += picked.shape[0]!;
      // Paired: the quantized model's Gram E[x̃ x̃ᵀ] and the cross term E[x x̃ᵀ] (x's own Gram is not needed).
      return pickedQ ? { sum, quantizedSum, gram: outer(pickedQ, pickedQ), cross: outer(picked, pickedQ) } : { sum, gram: outer(picked, picked) };
    }) as Record<'sum' | 'quantizedSum' | 'gram' | 'cross', tf.Tensor | undefined>;
    const add = async (into: Float64Array | undefined, t: tf.Tensor | undefined) => {
      if (!into || !t) return;
      const v = await t.data();
      t.dispose();
      for (let k = 0; k < v.length; k++) into[k]! += v[k]!;
    };
    // Depthwise sums come as [taps, in], the kernel's own tap-major order.
    await add(this.sum, out.sum);
    await add(this.quantizedSum, out.quantizedSum);
    await add(this.gram, out.gram);
    await add(this.cross, out.cross);
    this.rows += rows;
  }

  compute(): KernelStats {
    const per = (v: number, n: number) => v / Math.max(1, n);
    const mean = Float64Array.from(this.sum, (v) => per(v, this.rows));
    const gram = this.gram && this.gramRows > 0 ? Float64Array.from(this.gram, (v) => per(v, this.gramRows)) : undefined;
    if (this.quantizedSum) {
      const compensation = {
        mean: Float64Array.from(this.quantizedSum, (v) => per(v, this.rows)),
        ...(gram && this.cross ? { gram, cross: Float64Array.from(this.cross, (v) => per(v, this.gramRows)), gramRows: this.gramRows } : {}),
      };
      return { node: this.plan.node, mean, rows: this.rows, compensation };
    }
    return { node: this.plan.node, mean, rows: this.rows, ...(gram ? { gram, gramRows: this.gramRows } : {}) };
  }

  /** `k` distinct seeded row indices out of `n` (partial Fisher–Yates). */
  private sample(n: number, k: number): tf.Tensor1D {
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      this.seed = (Math.imul(this.seed, 1664525) + 1013904223) >>> 0;
      const j = i + (this.seed % (n - i));
      const t = idx[i]!; idx[i] = idx[j]!; idx[j] = t;
    }
    return tf.tensor1d(idx.slice(0, k), 'int32');
  }
}
