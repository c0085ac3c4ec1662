import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { Histogram } from './index.js';
import { histogramRef } from './reference.js';

export const histogramSuite: KernelSuite = {
  kernelName: Histogram,
  tolerance: 0,
  cases: (): KernelCase[] => {
    const rand = seeded(800);
    const edges = { shape: [9], dtype: 'float32' as const, values: Float32Array.from([-1, 0, 0.5, 1, 2, 5, NaN, Infinity, -Infinity]) };
    return [
      { name: 'edges, outside, non-finite', inputs: { x: edges }, attrs: { bins: 4, min: 0, max: 2 } },
      { name: 'random 1000 into 2048 bins', inputs: { x: randomFloat([10, 100], rand, 3) }, attrs: { bins: 2048, min: -3, max: 3 } },
      { name: 'one bin', inputs: { x: randomFloat([17], rand) }, attrs: { bins: 1, min: -0.5, max: 0.5 } },
    ];
  },
  reference: (c) => {
    const a = c.attrs as { bins: number; min: number; max: number };
    return { shape: [a.bins], dtype: 'int32', values: histogramRef(c.inputs.x!.values, a) };
  },
};
