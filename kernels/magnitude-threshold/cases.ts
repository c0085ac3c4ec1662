import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite, TensorData } from '../types.js';
import { MagnitudeThreshold } from './index.js';
import { magnitudeThresholdRef, orderedInputs } from './reference.js';

/** Values on a coarse grid: many exact ties, so the index phase decides. */
function tied(shape: number[], rand: () => number, levels: number): TensorData {
  const t = randomFloat(shape, rand);
  t.values = t.values.map((v) => Math.round(v * levels) / levels);
  return t;
}

function outputs(c: KernelCase): TensorData[] {
  const r = magnitudeThresholdRef(orderedInputs(c.inputs).map((t) => t.values), (c.attrs as { k: number }).k);
  return [{ shape: [], dtype: 'float32', values: Float32Array.of(r.threshold) }, { shape: [], dtype: 'int32', values: Int32Array.of(r.index) }];
}

/** Two outputs (threshold, index): `references` gives both, `reference` the threshold for single-output runners. */
export const magnitudeThresholdSuite: KernelSuite & { references: (c: KernelCase) => TensorData[] } = {
  kernelName: MagnitudeThreshold,
  tolerance: 0,
  cases: (): KernelCase[] => {
    const rand = seeded(1200);
    const special: TensorData = { shape: [8], dtype: 'float32', values: Float32Array.from([-0, 0, NaN, Infinity, -Infinity, 1e-40, -2, 2]) };
    const two = [tied([30, 20], rand, 8), tied([7, 3, 3, 5], rand, 8)];
    return [
      { name: 'one tensor, k 1', inputs: { x0: randomFloat([100], rand) }, attrs: { k: 1 } },
      { name: 'ties over two tensors, k 700', inputs: { x0: two[0]!, x1: two[1]! }, attrs: { k: 700 } },
      { name: 'ties over two tensors, k 31', inputs: { x0: two[0]!, x1: two[1]! }, attrs: { k: 31 } },
      { name: 'an empty tensor among others', inputs: { x0: randomFloat([5], rand), x1: { shape: [0, 4], dtype: 'float32', values: new Float32Array(0) }, x2: randomFloat([6], rand) }, attrs: { k: 8 } },
      { name: 'k 0', inputs: { x0: randomFloat([10], rand) }, attrs: { k: 0 } },
      { name: 'k = total (the largest)', inputs: { x0: randomFloat([17], rand), x1: randomFloat([4, 4], rand) }, attrs: { k: 33 } },
      { name: '-0, NaN, ±Infinity, denormal, k 7', inputs: { x0: special }, attrs: { k: 7 } },
      { name: 'three tensors, 6000 weights, k 4321', inputs: { x0: randomFloat([2000], rand), x1: tied([50, 40], rand, 100), x2: randomFloat([5, 200], rand) }, attrs: { k: 4321 } },
    ];
  },
  reference: (c) => outputs(c)[0]!,
  references: outputs,
};
