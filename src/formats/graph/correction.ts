import type { KernelWidth } from './bits.js';
import { elementCount } from '../manifest.js';
import type { EncodedGraphWeight, GraphWeightMode } from './quantize.js';
import { attrString, producerOf, type NodeDef, type WeightRole } from './roles.js';
import type { GraphWeight } from './weights.js';

/**
 * Data-aware fixes of weights:int8/int4 on a graph model, from statistics of each kernel's input on a few
 * calibration samples of the original model (src/quantize/graph-kernel-stats.ts collects them):
 *
 * - **Bias correction** (Nagel et al. 2019, "Data-free quantization", §4.2, with empirical means): a quantized
 *   kernel's output error has the per-channel mean δ_o = Σ_k e_ko · E[x_k] (x: the im2col patch; after ReLU6 the
 *   inputs share a positive mean, and a folded BatchNorm scales the error up). −δ is folded into the bias the output
 *   reaches first: the fused BiasAdd's bias, or a per-channel Const of the Add (through per-channel Mul Consts, as
 *   un-fused BatchNorms are written), or — for a plain Conv2D/DepthwiseConv2dNative/MatMul with none — the node
 *   becomes the stock fused op with a new bias (`<node>/shrinkml_bias`). Stock-loadable either way.
 * - **GPTQ rounding** (./gptq.ts) with H = E[x xᵀ], where the calibration collected it (`gram`).
 */
export interface KernelStats {
  /** The node that reads the kernel (its input is what was observed). */
  node: string;
  /** E[x] over the reduction, in the kernel's reduction order: [kh, kw, in] for conv/depthwise, K for a matmul. */
  mean: Float64Array;
  /**
   * E[x xᵀ] over the reduction (size × size), or for a depthwise kernel one taps × taps matrix per input channel
   * ([in, taps, taps]); absent when the reduction was too large to collect.
   */
  gram?: Float64Array;
  /** Patch rows the statistics average over. */
  rows: number;
  /** Patch rows `gram` averages over (a subsample of a large feature map's); `rows` when absent. */
  gramRows?: number;
  /**
   * Error compensation (src/quantize/graph-compensate.ts): the kernel's input x̃ in the quantized model, observed in
   * lockstep with x in the float model on the same rows. With it the kernel is rounded toward W* = W·E[x x̃ᵀ]·E[x̃ x̃ᵀ]⁻¹
   * (./compensate.ts) with H = E[x̃ x̃ᵀ], and its bias folds W·E[x] − Ŵ·E[x̃]: the quantized layer is fitted to the
   * float layer's output from the input it really gets, upstream errors included.
   */
  compensation?: {
    /** E[x̃], in `mean`'s order. */
    mean: Float64Array;
    /** E[x̃ x̃ᵀ], in `gram`'s layout; absent where `gram` would be. */
    gram?: Float64Array;
    /** E[x x̃ᵀ] (row: x's index, column: x̃'s), in `gram`'s layout. */
    cross?: Float64Array;
    gramRows?: number;
  };
}

export interface GraphCalibration {
  /** By kernel weight name. */
  kernels: Record<string, KernelStats>;
  /** Calibration samples (images, sentences) run through the original model. */
  samples: number;
  /**
   * weights:int4: the width of each kernel not left in 4-bit blocks (bits.ts `KernelWidth`), chosen by their
   * measured effect on the model's outputs (src/quantize/graph-mixed-bits.ts); without it the bit choice estimates
   * from the statistics (bits.ts).
   */
  kernelWidths?: Record<string, KernelWidth>;
  /**
   * weights:int4 without `kernelWidths`: each kernel's measured fidelity gain from int4 → int8 alone
   * (graph-mixed-bits.ts), which weights the estimate's per-layer errors.
   */
  sensitivity?: Record<string, number>;
}

export interface CorrectionReport {
  /** Kernels whose output mean shift was folded into a bias. */
  corrected: number;
  /** Nodes that became their fused op with a new bias Const. */
  fused: number;
  /** Kernels with statistics whose correction had nowhere to go (`node: why`). */
  skipped: string[];
}

const FUSED: Record<string, string> = { Conv2D: '_FusedConv2D', DepthwiseConv2dNative: 'FusedDepthwiseConv2dNative', MatMul: '_FusedMatMul' };
const ADDS = new Set(['Add', 'AddV2', 'BiasAdd']);
export const BIAS_SUFFIX = '/shrinkml_bias';

/**
 * δ per output channel, in the order of the node's output channels: Σ_k e_ko · mean_k with e = decoded − values.
 * conv [..., out] and matmul [K, N]: channels last; transposed matmul [N, K]: channels first; depthwise
 * [kh, kw, in, mult]: channel in·mult + m over the taps of input channel `in`.
 */
export function outputShift(o: { shape: number[]; role: WeightRole; values: Float32Array; decoded: Float32Array; mean: Float64Array; quantizedMean?: Float64Array }): Float64Array {
  const { shape, role, values, decoded, mean } = o;
  // With error compensation the quantized kernel reads x̃: δ = Ŵ·E[x̃] − W·E[x] = (Ŵ − W)·E[x] + Ŵ·(E[x̃] − E[x]).
  const drift = o.quantizedMean ? Float64Array.from(mean, (m, k) => o.quantizedMean![k]! - m) : undefined;
  const term = drift
    ? (i: number, k: number) => (decoded[i]! - values[i]!) * mean[k]! + decoded[i]! * drift[k]!
    : (i: number, k: number) => (decoded[i]! - values[i]!) * mean[k]!;
  if (role.kind === 'depthwise') {
    const [kh, kw, cin, mult] = shape as [number, number, number, number];
    const out = new Float64Array(cin * mult);
    for (let t = 0; t < kh * kw; t++) for (let c = 0; c < cin; c++) for (let m = 0; m < mult; m++) out[c * mult + m]! += term((t * cin + c) * mult + m, t * cin + c);
    return out;
  }
  if (role.channelAxes[0] === 0) {
    const [n, k] = [shape[0]!, elementCount(shape.slice(1))];
    const out = new Float64Array(n);
    for (let c = 0; c < n; c++) for (let j = 0; j < k; j++) out[c]! += term(c * k + j, j);
    return out;
  }
  const n = shape[shape.length - 1]!;
  const k = values.length / n;
  const out = new Float64Array(n);
  for (let j = 0; j < k; j++) for (let c = 0; c < n; c++) out[c]! += term(j * n + c, j);
  return out;
}

type Target = { bias: string; factor: Float64Array } | { fuse: string } | { why: string } | { through: NodeDef; kernel: string };
const POINTWISE = new Set(['Conv2D', '_FusedConv2D']);

/** Where a shift of `node`'s output (channels `c`) can be folded. */
function targetOf(node: NodeDef, c: number, g: { byName: Map<string, NodeDef>; consumers: Map<string, NodeDef[]>; floats: Map<string, GraphWeight>; roles: Map<string, WeightRole>; outputs: Set<string> }): Target {
  const inputs = (node.input ?? []).filter((i) => !i.startsWith('^'));
  const ownBias = (name: string | undefined, reader: string) => {
    const w = name === undefined ? undefined : g.floats.get(producerOf(name).name);
    return w && w.values!.length === c && g.roles.get(w.name)!.readers.length === 1 && g.roles.get(w.name)!.readers[0]!.endsWith(':' + reader) ? w : undefined;
  };
  const fused = ((node.attr?.fused_ops?.list?.s ?? []) as (string | number[])[]).map((s) => attrString(s)!);
  if (fused.length) {
    if (fused[0] !== 'BiasAdd') return { why: `fused ops [${fused.join(', ')}] without a BiasAdd first` };
    const b = ownBias(inputs[2], node.name);
    return b ? { bias: b.name, factor: new Float64Array(c).fill(1) } : { why: 'its bias is shared or not one value per channel' };
  }
  // Follow the only consumer through per-channel Muls (an un-fused BatchNorm's scale) to a per-channel Add.
  const factor = new Float64Array(c).fill(1);
  let at = node;
  for (let depth = 0; depth < 4; depth++) {
    const next = g.consumers.get(at.name) ?? [];
    if (next.length !== 1 || g.outputs.has(at.name)) break;
    const x = next[0]!;
    const other = (x.input ?? []).filter((i) => !i.startsWith('^')).find((i) => producerOf(i).name !== at.name);
    const w = ownBias(other, x.name);
    if (!w) break;
    if (ADDS.has(x.op)) return { bias: w.name, factor };
    if (x.op !== 'Mul') break;
    for (let k = 0; k < c; k++) factor[k]! *= w.values![k]!;
    at = x;
  }
  // A separable conv's depthwise half feeds a 1×1 conv alone: a constant shift passes through it linearly, into its
  // bias, at no extra bytes.
  const next = g.consumers.get(node.name) ?? [];
  const pw = next.length === 1 && !g.outputs.has(node.name) ? next[0]! : undefined;
  const pwInputs = (pw?.input ?? []).filter((i) => !i.startsWith('^'));
  const k = pw && POINTWISE.has(pw.op) && producerOf(pwInputs[0] ?? '').name === node.name ? g.floats.get(producerOf(pwInputs[1] ?? '').name) : undefined;
  if (pw && k && k.shape.length === 4 && k.shape[0] === 1 && k.shape[1] === 1 && k.shape[2] === c && g.roles.get(k.name)!.readers.length === 1) return { through: pw, kernel: k.name };
  if (node.op in FUSED && inputs.length === 2 && !(node.op === 'MatMul' && node.attr?.transpose_a?.b)) return { fuse: FUSED[node.op]! };
  return { why: `no bias to fold into after ${node.op}` };
}

/**
 * Folds every calibrated kernel's output mean shift into a bias: `encoded` (parallel to `weights`) gets the
 * corrected biases re-encoded in place; returns the node edits (by node name: the nodes that replace it) and the
 * new weights with their encodings (appended by the caller).
 */
export function correctBiases(o: {
  main: NodeDef[]; weights: GraphWeight[]; encoded: EncodedGraphWeight[]; roles: Map<string, WeightRole>; calibration: GraphCalibration;
  signatureOutputs: Set<string>;
  encode: (w: GraphWeight, mode: GraphWeightMode) => EncodedGraphWeight; mode: GraphWeightMode;
}): { edits: Map<string, NodeDef[]>; added: { weight: GraphWeight; encoded: EncodedGraphWeight }[]; report: CorrectionReport } {
  const byName = new Map(o.main.map((n) => [n.name, n]));
  const consumers = new Map<string, NodeDef[]>();
  for (const n of o.main) for (const i of n.input ?? []) {
    const { name, control } = producerOf(i);
    if (!control) consumers.set(name, [...(consumers.get(name) ?? []), n]);
  }
  const floats = new Map(o.weights.filter((w) => w.values instanceof Float32Array && w.dtype === 'float32').map((w) => [w.name, w]));
  const index = new Map(o.weights.map((w, i) => [w.name, i]));
  const g = { byName, consumers, floats, roles: o.roles, outputs: o.signatureOutputs };
  const shifts = new Map<string, Float64Array>();
  const edits = new Map<string, NodeDef[]>();
  const added: { weight: GraphWeight; encoded: EncodedGraphWeight }[] = [];
  const report: CorrectionReport = { corrected: 0, fused: 0, skipped: [] };
  const fuses = new Map<string, { node: NodeDef; op: string; shift: Float64Array }>();
  for (const [kernel, stats] of Object.entries(o.calibration.kernels)) {
    const i = index.get(kernel);
    const e = i === undefined ? undefined : o.encoded[i];
    const node = byName.get(stats.node);
    if (!e?.values || !node || e.scheme === 'unchanged' || e.scheme === 'float32' || e.scheme === 'float16') continue;
    const w = o.weights[i!]!;
    let delta = outputShift({ shape: w.shape, role: o.roles.get(kernel)!, values: w.values as Float32Array, decoded: e.values, mean: stats.mean, quantizedMean: stats.compensation?.mean });
    let t = targetOf(node, delta.length, g);
    let at = node;
    if ('through' in t && o.calibration.kernels[t.kernel]?.compensation) {
      // The 1×1 conv's own compensated correction measured its input as it is, this shift included: folding it here too
      // would count it twice.
      report.corrected++;
      continue;
    }
    if ('through' in t) {
      // δ' = Ŵᵀ δ through the 1×1 conv as written (its own rounding included).
      const pw = o.encoded[index.get(t.kernel)!]!;
      const [c, n] = [delta.length, pw.values!.length / delta.length];
      const shifted = new Float64Array(n);
      for (let i = 0; i < c; i++) for (let j = 0; j < n; j++) shifted[j]! += delta[i]! * pw.values![i * n + j]!;
      delta = shifted;
      at = t.through;
      t = targetOf(at, n, g);
      if ('through' in t) t = { why: 'two 1×1 convs in a row' };
    }
    if ('why' in t) { report.skipped.push(`${at.name}: ${t.why}`); continue; }
    if ('fuse' in t) {
      const name = at.name + BIAS_SUFFIX;
      if (byName.has(name)) { report.skipped.push(`${at.name}: the graph already has a node '${name}'`); continue; }
      const f = fuses.get(at.name) ?? { node: at, op: t.fuse, shift: new Float64Array(delta.length) };
      for (let k = 0; k < delta.length; k++) f.shift[k]! += delta[k]!;
      fuses.set(at.name, f);
    } else {
      const prev = shifts.get(t.bias) ?? new Float64Array(delta.length);
      for (let k = 0; k < delta.length; k++) prev[k]! += delta[k]! * t.factor[k]!;
      shifts.set(t.bias, prev);
    }
    report.corrected++;
  }
  for (const { node: at, op, shift } of fuses.values()) {
    const name = at.name + BIAS_SUFFIX;
    const values = Float32Array.from(shift, (d) => -d);
    const weight: GraphWeight = { name, shape: [values.length], dtype: 'float32', stored: 'float32', values, entry: { name, shape: [values.length], dtype: 'float32' }, raw: new Uint8Array(values.buffer) };
    added.push({ weight, encoded: o.encode(weight, o.mode) });
    const control = (at.input ?? []).filter((v) => v.startsWith('^'));
    const plain = (at.input ?? []).filter((v) => !v.startsWith('^'));
    const dtype = { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: String(values.length) }] } };
    edits.set(at.name, [
      { name, op: 'Const', attr: { value: { tensor: dtype }, dtype: { type: 'DT_FLOAT' } }, ...(at.device ? { device: at.device } : {}) },
      { ...at, op, input: [...plain, name, ...control], attr: { ...at.attr, fused_ops: { list: { s: [btoa('BiasAdd')] } }, num_args: { i: '1' } } },
    ]);
    report.fused++;
  }
  for (const [name, shift] of shifts) {
    const i = index.get(name)!;
    const w = o.weights[i]!;
    const values = Float32Array.from(w.values as Float32Array, (v, k) => v - shift[k]!);
    o.encoded[i] = o.encode({ ...w, values }, o.mode);
  }
  return { edits, added, report };
}

/**
 * ‖(Ŵ − W)ᵀx‖² / ‖Wᵀx‖² summed over channels, with E[x xᵀ] per channel: the relative output noise a quantized kernel
 * adds on the calibration inputs. The kernel is viewed as [pre, size, post] around its reduction axes.
 */
export function outputError(o: { values: Float32Array; decoded: Float32Array; view: [number, number, number]; hessian: (p: number, q: number) => Float64Array }): number {
  const [pre, size, post] = o.view;
  let noise = 0, signal = 0;
  const d = new Float64Array(size);
  const w = new Float64Array(size);
  for (let p = 0; p < pre; p++) {
    for (let q = 0; q < post; q++) {
      const h = o.hessian(p, q);
      for (let k = 0; k < size; k++) {
        const i = (p * size + k) * post + q;
        w[k] = o.values[i]!;
        d[k] = o.decoded[i]! - o.values[i]!;
      }
      for (let i = 0; i < size; i++) {
        let hd = 0, hw = 0;
        for (let j = 0; j < size; j++) { hd += h[i * size + j]! * d[j]!; hw += h[i * size + j]! * w[j]!; }
        noise += d[i]! * hd;
        signal += w[i]! * hw;
      }
    }
  }
  return signal > 0 ? noise / signal : 0;
}
