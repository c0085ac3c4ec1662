import type { TensorData } from './types.js';

/** Deterministic uniform numbers in [0, 1) (mulberry32): test cases are data, reproducible from a seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomFloat(shape: number[], rand: () => number, scale = 1): TensorData {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (rand() * 2 - 1) * scale;
  return { shape, dtype: 'float32', values };
}

export function randomInt(shape: number[], rand: () => number, lo: number, hi: number): Int32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) values[i] = lo + Math.floor(rand() * (hi - lo + 1));
  return values;
}
