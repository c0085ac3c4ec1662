import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite, TensorData } from '../types.js';
import { quantizeGeometry } from './geometry.js';
import { QuantizeInt8 } from './index.js';
import { quantizeInt8Ref } from './reference.js';

/** float32 neighbours: x stepped by `ulps` units in the last place. */
export function nudge(x: number, ulps: number): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  i[0]! += x >= 0 ? ulps : -ulps;
  return f[0]!;
}

/**
 * Values at and around every rounding tie (n + 0.5)·scale for n in [-6, 5], ±0..3 ulps: where a 2.5-ULP GPU
 * division would pick the wrong code. With scale a non-power of two the quotient is rarely exactly .5.
 */
export function nearTies(scale: number): Float32Array {
  const out: number[] = [];
  for (let n = -6; n <= 5; n++) {
    const t = Math.fround((n + 0.5) * Math.fround(scale));
    for (let u = -3; u <= 3; u++) out.push(nudge(t, u));
  }
  return Float32Array.from(out);
}

function data(shape: number[], values: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): TensorData {
  return { shape, dtype, values: dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values) };
}

export const quantizeInt8Suite: KernelSuite = {
  kernelName: QuantizeInt8,
  tolerance: 0,
  cases: (): KernelCase[] => {
    const rand = seeded(900);
    const special = [0.125, 0.375, 0.625, -0.125, -0.375, -0.625, 1e6, -1e6, NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30];
    const ties01 = nearTies(0.1), ties0173 = nearTies(0.0173);
    const full = { qmin: -128, qmax: 127, transpose: false };
    return [
      { name: 'ties, clamps, NaN, k 15 per tensor', inputs: { x: data([15], special), scale: data([1], [0.25]), zeroPoint: data([1], [0], 'int32') }, attrs: full },
      { name: 'near ties of scale 0.1, zp 3', inputs: { x: data([ties01.length], ties01), scale: data([1], [0.1]), zeroPoint: data([1], [3], 'int32') }, attrs: full },
      { name: 'near ties of scale 0.0173, narrow', inputs: { x: data([ties0173.length], ties0173), scale: data([1], [0.0173]), zeroPoint: data([1], [0], 'int32') }, attrs: { ...full, qmin: -127 } },
      { name: 'rows [4, 13] per row', inputs: { x: randomFloat([4, 13], rand, 3), scale: data([4], [0.01, 0.02, 0.05, 0.3]), zeroPoint: data([4], [0, -3, 7, 0], 'int32') }, attrs: full },
      { name: 'rank 3 [2, 3, 9] per tensor', inputs: { x: randomFloat([2, 3, 9], rand, 2), scale: data([1], [0.013]), zeroPoint: data([1], [-20], 'int32') }, attrs: full },
      { name: 'transpose dense [10, 3] per channel', inputs: { x: randomFloat([10, 3], rand), scale: data([3], [0.004, 0.008, 0.0079]), zeroPoint: data([3], [0, 0, 0], 'int32') }, attrs: { qmin: -127, qmax: 127, transpose: true } },
      { name: 'transpose conv filter [3, 3, 2, 5]', inputs: { x: randomFloat([3, 3, 2, 5], rand), scale: data([5], [0.004, 0.005, 0.006, 0.007, 0.009]), zeroPoint: data([5], [0, 0, 0, 0, 0], 'int32') }, attrs: { qmin: -127, qmax: 127, transpose: true } },
      // RGB pixels: the wasm kernel's 4-pixels-a-vector path and a tail of 2, with the specials and near ties inside.
      { name: 'rgb pixels [2, 5, 3] per tensor', inputs: { x: data([2, 5, 3], [...special, ...ties01.slice(0, 15)]), scale: data([1], [0.1]), zeroPoint: data([1], [-4], 'int32') }, attrs: full },
      { name: 'random 2000 [40, 50]', inputs: { x: randomFloat([40, 50], rand, 4), scale: data([1], [0.031]), zeroPoint: data([1], [5], 'int32') }, attrs: full },
    ];
  },
  reference: (c) => {
    const { x, scale, zeroPoint } = c.inputs;
    const a = c.attrs as { qmin: number; qmax: number; transpose: boolean };
    return { shape: quantizeGeometry(x!.shape, a.transpose).outShape, dtype: 'int32',
      values: quantizeInt8Ref({ x: x!.values, shape: x!.shape, scale: scale!.values, zeroPoint: zeroPoint!.values, ...a }) };
  },
};
