import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/types.js';
import { datasetFeed } from '../../src/onnx/data.js';

const hwc: Dataset = {
  name: 'tiny', split: 'test', count: 2, sampleShape: [5, 5, 3], files: [],
  // sample s, pixel (y, x), channel c holds 1000s + 10(5y + x) + c
  x: Float32Array.from({ length: 150 }, (_, i) => 1000 * Math.floor(i / 75) + 10 * Math.floor((i % 75) / 3) + (i % 3)),
};

describe('dataset → onnxruntime feed', () => {
  it.each([
    ['NHWC input keeps the stored order', ['N', 5, 5, 3], [2, 5, 5, 3], [0, 1, 2, 10, 11, 12]],
    ['NCHW input (a PyTorch export) gets channels first', ['N', 3, 5, 5], [2, 3, 5, 5], [0, 10, 20, 30, 40, 50]],
    ['flat input', [null, 75], [2, 75], [0, 1, 2, 10, 11, 12]],
  ] as const)('%s', (_name, shape, dims, first) => {
    const feed = datasetFeed(hwc, { name: 'x', dtype: 'float', shape: [...shape] }, { start: 0, end: 2 });
    expect(feed.dims).toEqual(dims);
    expect(Array.from(feed.data.slice(0, 6))).toEqual(first);
    expect(feed.data[75]).toBe(1000);
    if (shape[1] === 3) expect(feed.data[25]).toBe(1);
  });

  it('names the mismatch when the shapes cannot match', () => {
    expect(() => datasetFeed(hwc, { name: 'x', dtype: 'float', shape: ['N', 10] }, { start: 0, end: 1 })).toThrow(/data 'tiny' has samples of shape \[5,5,3\]/);
    expect(() => datasetFeed(hwc, { name: 'ids', dtype: 'int64', shape: ['N', 12] }, { start: 0, end: 1 })).toThrow(/'ids' is int64/);
  });
});
