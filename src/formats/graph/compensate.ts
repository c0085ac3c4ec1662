import { cholesky, damped } from './gptq.js';
import type { Hessian } from './quantize.js';

/**
 * The target of error-compensating rounding (GPTAQ-style; Li et al. 2025, "asymmetric calibration"): a kernel of the
 * quantized model reads x̃, the float model's kernel reads x, and what should match is their outputs,
 * E‖Wᵀx − Ŵᵀx̃‖². With H̃ = E[x̃ x̃ᵀ] and C = E[x x̃ᵀ] that is ‖(Ŵ − W*)ᵀ‖²_H̃ + const with W* = H̃⁻¹ Cᵀ W per
 * channel, so GPTQ (./gptq.ts) rounding W* with H̃ fits the codes to the float output from the input they really
 * get — earlier layers' errors are corrected, not only this layer's own (GPTQ on x alone, or on x̃ alone, cannot).
 *
 * Per channel w (its values over the reduction) the target is solved as v = w + (H̃ + λI)⁻¹ (Cᵀ − H̃) w, λ GPTQ's
 * damping: the same regulariser GPTQ rounds with, and the ridge form min E(wᵀx − vᵀx̃)² + λ‖v − w‖² — directions the
 * calibration barely excites keep the float values rather than a large correction fitted to noise. When x̃ = x, C = H̃
 * and v = w exactly. The caller passes H̃ and C shrunk toward their diagonals alike (rewrite.ts), which keeps that.
 *
 * The kernel is viewed as [pre, size, post] around its reduction axes; `gram` and `cross` give a channel's matrices.
 */
export function compensatedValues(o: { values: Float32Array; view: [number, number, number]; gram: Hessian; cross: Hessian }): Float32Array {
  const [pre, size, post] = o.view;
  const out = new Float32Array(o.values.length);
  const factors = new Map<Float64Array, Float64Array>();
  const w = new Float64Array(size);
  const r = new Float64Array(size);
  for (let p = 0; p < pre; p++) {
    for (let q = 0; q < post; q++) {
      const h = o.gram(p, q);
      const c = o.cross(p, q);
      let l = factors.get(h);
      if (!l) factors.set(h, (l = cholesky(damped(h, size), size)));
      const at = (k: number) => (p * size + k) * post + q;
      for (let k = 0; k < size; k++) w[k] = o.values[at(k)]!;
      // r = (Cᵀ − H̃) w, then (H̃ + λI) d = r by the Cholesky factor L Lᵀ.
      for (let i = 0; i < size; i++) {
        let s = 0;
        for (let j = 0; j < size; j++) s += (c[j * size + i]! - h[i * size + j]!) * w[j]!;
        r[i] = s;
      }
      for (let i = 0; i < size; i++) {
        let s = r[i]!;
        for (let k = 0; k < i; k++) s -= l[i * size + k]! * r[k]!;
        r[i] = s / l[i * size + i]!;
      }
      for (let i = size - 1; i >= 0; i--) {
        let s = r[i]!;
        for (let k = i + 1; k < size; k++) s -= l[k * size + i]! * r[k]!;
        r[i] = s / l[i * size + i]!;
      }
      for (let k = 0; k < size; k++) out[at(k)] = w[k]! + r[k]!;
    }
  }
  return out;
}
