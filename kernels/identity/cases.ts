import { randomFloat, randomInt, seeded } from '../testing-data.js';
import type { KernelSuite } from '../types.js';

/** The values come back unchanged, float32 and int32 (the shared runner also checks that no tensor leaks). */
export const identitySuite: KernelSuite = {
  kernelName: 'Identity',
  tolerance: 0,
  backends: ['wasm'],
  cases: () => [
    { name: 'float32 [2,3,4]', inputs: { x: randomFloat([2, 3, 4], seeded(2800)) }, attrs: {} },
    { name: 'int32 [5]', inputs: { x: { shape: [5], dtype: 'int32', values: randomInt([5], seeded(2801), -9, 9) } }, attrs: {} },
  ],
  reference: (c) => c.inputs.x!,
};
