import { ShrinkmlError } from '../../core/errors.js';

/**
 * GPTQ-style rounding (Frantar et al. 2022) of one kernel with its scales fixed: the reduction index k is rounded in
 * order, and each value's rounding error is spread over the not-yet-rounded values of the same output channel so
 * that the layer's output error ‖(Ŵ − W)ᵀx‖² over the calibration inputs — not the weight error — is what is
 * minimised. H = E[x xᵀ] over the reduction (im2col patches of a convolution's input, a matmul's rows) comes from
 * calibration data (src/quantize/graph-kernel-stats.ts). Scales are fixed beforehand (the data-free search of
 * scales.ts on the original weights: "static groups"), so the written layout is unchanged.
 *
 * The kernel is viewed as [pre, size, post] around its reduction axes; a channel is a (pre, post) pair. `hessian`
 * gives the size × size matrix of a channel: the same one for every channel of a conv/matmul, one per input channel
 * for a depthwise kernel.
 */
export interface GptqOptions {
  values: Float32Array;
  pre: number;
  size: number;
  post: number;
  /** Scale of element i (already rounded as stored). */
  scaleOf: (i: number) => number;
  qmax: number;
  /** The channel's H, row-major size × size; channels asking for the same array share its factorisation. */
  hessian: (p: number, q: number) => Float64Array;
}

/** Relative damping added to H's diagonal (GPTQ's default): keeps the factorisation stable with few samples. */
const DAMP = 0.01;

export function gptqCodes(o: GptqOptions): Int8Array {
  const { pre, size, post, qmax } = o;
  const codes = new Int8Array(o.values.length);
  const factors = new Map<Float64Array, { u: Float64Array; order: Int32Array }>();
  const w = new Float64Array(size);
  for (let p = 0; p < pre; p++) {
    for (let q = 0; q < post; q++) {
      const h = o.hessian(p, q);
      let f = factors.get(h);
      if (!f) factors.set(h, (f = factorOf(h, size)));
      const { u, order } = f;
      // w in GPTQ's order: the inputs with the largest E[x²] first (act-order), while most values can still move.
      const at = (k: number) => (p * size + order[k]!) * post + q;
      for (let k = 0; k < size; k++) w[k] = o.values[at(k)]!;
      for (let k = 0; k < size; k++) {
        const i = at(k);
        const s = o.scaleOf(i);
        const code = Math.max(-qmax, Math.min(qmax, Math.round(w[k]! / s)));
        codes[i] = code;
        const err = (w[k]! - code * s) / u[k * size + k]!;
        for (let j = k + 1; j < size; j++) w[j]! -= err * u[k * size + j]!;
      }
    }
  }
  return codes;
}

/** The order (descending diagonal) and the upper factor of the permuted, damped H⁻¹. */
function factorOf(h: Float64Array, n: number): { u: Float64Array; order: Int32Array } {
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => h[b * n + b]! - h[a * n + a]! || a - b);
  const permuted = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) permuted[i * n + j] = h[order[i]! * n + order[j]!]!;
  return { u: inverseUpperFactor(permuted, n), order };
}

/**
 * U, upper triangular with H⁻¹ = UᵀU, of the damped H (row-major). Inputs never seen (zero diagonal) get a unit
 * diagonal: their values are rounded plainly and take no compensation.
 */
export function inverseUpperFactor(h: Float64Array, n: number): Float64Array {
  const l = cholesky(damped(h, n), n);
  // H⁻¹ = L⁻ᵀ L⁻¹: invert L (lower) in place, then form the product.
  const li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    li[i * n + i] = 1 / l[i * n + i]!;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k]! * li[k * n + j]!;
      li[i * n + j] = -s / l[i * n + i]!;
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i]! * li[k * n + j]!;
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  const lower = cholesky(inv, n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = lower[i * n + j]!;
  return u;
}

/** H with GPTQ's damping on its diagonal; inputs never seen (zero diagonal) get a unit one. */
export function damped(h: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(h);
  let mean = 0;
  for (let k = 0; k < n; k++) mean += a[k * n + k]! / n;
  const damp = DAMP * (mean > 0 ? mean : 1);
  for (let k = 0; k < n; k++) a[k * n + k] = a[k * n + k]! > 0 ? a[k * n + k]! + damp : 1;
  return a;
}

/** Lower Cholesky factor of a symmetric positive definite matrix (row-major). */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new ShrinkmlError('INTERNAL', `GPTQ: the calibration Hessian is not positive definite (pivot ${i} is ${s})`);
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  return l;
}
