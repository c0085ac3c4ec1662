import { randomFloat, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite } from '../types.js';
import { ChannelMinMax } from './index.js';
import { channelMinMaxRef } from './reference.js';

export const channelMinMaxSuite: KernelSuite = {
  kernelName: ChannelMinMax,
  tolerance: 0,
  cases: (): KernelCase[] => {
    const rand = seeded(1100);
    const special = Float32Array.from([NaN, -0, 3, NaN, 0, -7, NaN, -0, Infinity, NaN, 2, -Infinity]);
    return [
      { name: 'NaN, -0, ±Infinity, all-NaN channel [3, 4]', inputs: { x: { shape: [3, 4], dtype: 'float32', values: special } }, attrs: {} },
      { name: 'dense kernel [50, 7]', inputs: { x: randomFloat([50, 7], rand, 3) }, attrs: {} },
      { name: 'conv filter [3, 3, 4, 5]', inputs: { x: randomFloat([3, 3, 4, 5], rand) }, attrs: {} },
      { name: 'one channel, 9000 rows (three passes)', inputs: { x: randomFloat([9000, 1], rand, 10) }, attrs: {} },
      { name: 'vector [6]', inputs: { x: randomFloat([6], rand) }, attrs: {} },
      { name: 'no rows [0, 3]', inputs: { x: { shape: [0, 3], dtype: 'float32', values: new Float32Array(0) } }, attrs: {} },
    ];
  },
  reference: (c) => {
    const x = c.inputs.x!;
    const channels = x.shape[x.shape.length - 1]!;
    return { shape: [3, channels], dtype: 'float32', values: channelMinMaxRef(x.values, channels) };
  },
};
