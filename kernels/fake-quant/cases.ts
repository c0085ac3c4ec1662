import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { FakeQuant } from './index.js';
import { fakeQuantRef } from './reference.js';

/** Ties (x exactly (k + 0.5) · scale), clamping, NaN/Inf and both per-tensor and per-channel vector paths. */
function special(): Float32Array {
  const s = 0.25;
  return Float32Array.from([0.5 * s, 1.5 * s, 2.5 * s, -0.5 * s, -1.5 * s, -2.5 * s, 1e6, -1e6, NaN, Infinity, -Infinity, 0]);
}

function vec(values: number[]): KernelCase['inputs'][string] {
  return { shape: [values.length], dtype: 'float32', values: Float32Array.from(values) };
}

export const fakeQuantSuite: KernelSuite = {
  kernelName: FakeQuant,
  tolerance: 0,
  cases: () => {
    const rand = seeded(700);
    const ties = { shape: [12], dtype: 'float32' as const, values: special() };
    return [
      { name: 'ties, clamps, NaN per tensor int8', inputs: { x: ties, scale: vec([0.25]), zeroPoint: vec([0]) }, attrs: { qmin: -128, qmax: 127 } },
      { name: 'ties per tensor uint8 zp 128', inputs: { x: ties, scale: vec([0.25]), zeroPoint: vec([128]) }, attrs: { qmin: 0, qmax: 255 } },
      { name: 'per tensor odd length 37', inputs: { x: randomFloat([37], rand, 3), scale: vec([0.03]), zeroPoint: vec([-5]) }, attrs: { qmin: -128, qmax: 127 } },
      { name: 'per channel C=8 (vector)', inputs: { x: randomFloat([5, 8], rand, 2), scale: vec([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]), zeroPoint: vec([0, 1, -1, 2, -2, 3, -3, 0]) }, attrs: { qmin: -127, qmax: 127 } },
      { name: 'per channel C=3 (scalar)', inputs: { x: randomFloat([2, 2, 3], rand, 2), scale: vec([0.01, 0.1, 0.5]), zeroPoint: vec([0, 0, 0]) }, attrs: { qmin: -127, qmax: 127 } },
    ];
  },
  reference: (c) => ({
    shape: c.inputs.x!.shape, dtype: 'float32',
    values: fakeQuantRef({ x: c.inputs.x!.values, scale: c.inputs.scale!.values, zeroPoint: c.inputs.zeroPoint!.values,
      ...(c.attrs as { qmin: number; qmax: number }) }),
  }),
};
