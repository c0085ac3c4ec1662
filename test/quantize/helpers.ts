import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerKernels } from '../../kernels/index.js';
import { mulberry32 } from '../../src/data/random.js';

/** The wasm backend with shrinkml's kernels, as the CLI runs. */
export async function useWasm(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  await registerKernels();
}

export function uniform(n: number, lo: number, hi: number, seed = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Standard normal samples (Box-Muller). */
export function gaussian(n: number, seed = 2, sigma = 1): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - r();
    const v = r();
    const m = Math.sqrt(-2 * Math.log(u)) * sigma;
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Laplace samples (heavy-ish tails) plus a few large outliers: what real activations look like. */
export function heavyTailed(n: number, seed = 3): Float32Array {
  const r = mulberry32(seed + 100);
  const out = laplace(n, seed);
  for (let i = 0; i < 10; i++) out[Math.floor(r() * n)] = (r() < 0.5 ? -1 : 1) * (40 + 20 * r());
  return out;
}

/** Laplace(0, 1) samples. */
export function laplace(n: number, seed = 3): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => {
    const u = r() - 0.5;
    return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  });
}

/** Splits values into tensors of `batch` values (the caller disposes them). */
export function asBatches(values: Float32Array, batch: number): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (let i = 0; i < values.length; i += batch) out.push(tf.tensor1d(values.subarray(i, Math.min(values.length, i + batch))));
  return out;
}
