import { packInt8 } from '../../src/core/numerics.js';
import { randomInt, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite, TensorData } from '../types.js';
import { DequantizeInt8, dequantizeShape, type DequantizeInt8Attrs } from './index.js';
import { dequantizeInt8Ref } from './reference.js';

function packed(rows: number, k: number, rand: () => number, lead: number[] = [rows]): TensorData {
  return { shape: [...lead, Math.ceil(k / 4)], dtype: 'int32', values: packInt8(randomInt([rows, k], rand, -128, 127), { rowLength: k }) };
}

const f = (values: number[]): TensorData => ({ shape: [values.length], dtype: 'float32', values: Float32Array.from(values) });
const i = (values: number[]): TensorData => ({ shape: [values.length], dtype: 'int32', values: Int32Array.from(values) });

export const dequantizeInt8Suite: KernelSuite = {
  kernelName: DequantizeInt8,
  tolerance: 0,
  cases: (): KernelCase[] => {
    const rand = seeded(950);
    return [
      { name: 'k 13 per tensor', inputs: { q: packed(1, 13, rand), scale: f([0.017]), zeroPoint: i([-4]) }, attrs: { k: 13, transpose: false } },
      { name: 'rows [5, 7] per row', inputs: { q: packed(5, 7, rand), scale: f([0.1, 0.2, 0.3, 0.01, 1e-3]), zeroPoint: i([0, 1, -1, 127, -128]) }, attrs: { k: 7, transpose: false } },
      { name: 'rank 3 [2, 3, 8]', inputs: { q: packed(6, 8, rand, [2, 3]), scale: f([0.05]), zeroPoint: i([0]) }, attrs: { k: 8, transpose: false } },
      { name: 'transpose back to [18, 5]', inputs: { q: packed(5, 18, rand), scale: f([0.004, 0.005, 0.006, 0.007, 0.009]), zeroPoint: i([0, 0, 0, 0, 0]) }, attrs: { k: 18, transpose: true } },
    ];
  },
  reference: (c) => {
    const a = c.attrs as unknown as DequantizeInt8Attrs;
    return { shape: dequantizeShape(c.inputs.q!.shape, a), dtype: 'float32',
      values: dequantizeInt8Ref({ q: c.inputs.q!.values, k: a.k, scale: c.inputs.scale!.values, zeroPoint: c.inputs.zeroPoint!.values, transpose: a.transpose }) };
  },
};
