import type { TensorData } from './types.js';

/** Deterministic uniform numbers in [0, 1) (mulberry32): test cases are data, reproducible from a seed. */
export { mulberry32 as seeded } from '../src/core/random.js';

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
