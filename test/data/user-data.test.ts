import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/index.js';
import { syntheticImages, tempDir, writeIdx, writeNpy } from './fixtures.js';

const pixel = (s: number, p: number) => Math.fround(((s * 7 + p) % 256) / 255);

/** A folder with train (24 images) and test (6 images) IDX files of 4×4 pixels. */
function idxFolder(names: { trainImages: string; trainLabels: string; testImages: string; testLabels: string }, gzip: boolean): string {
  const dir = tempDir();
  const train = syntheticImages(24, 4, 4);
  const test = syntheticImages(6, 4, 4);
  writeIdx(join(dir, names.trainImages), [24, 4, 4], train.pixels, { gzip });
  writeIdx(join(dir, names.trainLabels), [24], train.labels, { gzip });
  writeIdx(join(dir, names.testImages), [6, 4, 4], test.pixels, { gzip });
  writeIdx(join(dir, names.testLabels), [6], test.labels, { gzip });
  return dir;
}

describe('user IDX folders', () => {
  it.each([
    ['plain, t10k names', false, { trainImages: 'train-images-idx3-ubyte', trainLabels: 'train-labels-idx1-ubyte', testImages: 't10k-images-idx3-ubyte', testLabels: 't10k-labels-idx1-ubyte' }],
    ['gzipped, test names', true, { trainImages: 'train-images.idx3-ubyte.gz', trainLabels: 'train-labels.idx1-ubyte.gz', testImages: 'test-images.idx3-ubyte.gz', testLabels: 'test-labels.idx1-ubyte.gz' }],
  ])('splits a %s folder like MNIST (validation = last twelfth)', async (_n, gzip, names) => {
    const dir = idxFolder(names, gzip);
    const [train, validation, test, calibration] = await Promise.all(
      (['train', 'validation', 'test', 'calibration'] as const).map((split) => loadData({ source: dir, split })));
    expect([train.count, validation.count, test.count, calibration.count]).toEqual([22, 2, 6, 22]);
    expect(train.sampleShape).toEqual([4, 4, 1]);
    expect(validation.x[0]).toBe(pixel(22, 0));
    expect(Array.from(validation.labels!)).toEqual([2, 3]);
    expect(test.x[17]).toBe(pixel(1, 1));
    expect(train.classes).toBe(10);
  });

  it('uses a lone images/labels pair whole for every split', async () => {
    const dir = tempDir();
    const { pixels, labels } = syntheticImages(5, 2, 2, 3);
    writeIdx(join(dir, 'images-idx3-ubyte'), [5, 2, 2], pixels);
    writeIdx(join(dir, 'labels-idx1-ubyte'), [5], labels);
    const test = await loadData({ source: dir, split: 'test' });
    expect(test.count).toBe(5);
    expect(test.classes).toBe(3);
    expect((await loadData({ source: dir, split: 'calibration', limit: 3 })).count).toBe(3);
  });

  it('names the file when images and labels disagree in count', async () => {
    const dir = tempDir();
    writeIdx(join(dir, 'train-images-idx3-ubyte'), [3, 2, 2], syntheticImages(3, 2, 2).pixels);
    writeIdx(join(dir, 'train-labels-idx1-ubyte'), [2], [0, 1]);
    await expect(loadData({ source: dir, split: 'test' })).rejects.toThrow(
      `${join(dir, 'train-labels-idx1-ubyte')}: 2 labels for 3 samples in ${join(dir, 'train-images-idx3-ubyte')}`);
  });

  it('names the folder when nothing usable is in it', async () => {
    const dir = tempDir();
    await expect(loadData({ source: dir, split: 'test' })).rejects.toThrow(`${dir}: no images (.jpg, .jpeg, .png, also in class subfolders), IDX files`);
    await expect(loadData({ source: join(dir, 'absent'), split: 'test' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('user .npy data', () => {
  const x = [0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6];

  it.each([
    ['|u1 [N,F]', [2, 6], x, '|u1', [6]],
    ['<f4 [N,H,W]', [2, 2, 3], x.map((v) => v / 255), '<f4', [2, 3, 1]],
    ['<f8 [N,C,H,W] with one channel', [2, 1, 1, 6], x.map((v) => v / 255), '<f8', [1, 6, 1]],
    ['<i4 [N,H,W,C]', [2, 2, 3, 1], x, '<i4', [2, 3, 1]],
    ['<i8 [N,F]', [2, 6], x, '<i8', [6]],
  ] as const)('loads a comma pair, %s, into [0,1]', async (_n, shape, values, descr, sampleShape) => {
    const dir = tempDir();
    const xs = writeNpy(join(dir, 'inputs.npy'), [...shape], [...values], descr);
    const ys = writeNpy(join(dir, 'labels.npy'), [2], [1, 0], '<i8');
    const d = await loadData({ source: `${xs},${ys}`, split: 'test' });
    expect(d.sampleShape).toEqual(sampleShape);
    expect(d.x[1]).toBeCloseTo(0.2, 6);
    expect(d.x[5]).toBeCloseTo(1, 6);
    expect(Array.from(d.labels!)).toEqual([1, 0]);
    expect(d.classes).toBe(2);
  });

  it.each([['x.npy', 'y.npy'], ['images.npy', 'labels.npy']])('finds %s + %s in a folder', async (xName, yName) => {
    const dir = tempDir();
    writeNpy(join(dir, xName), [3, 2], [0, 1, 0.5, 0.5, 1, 0], '<f4');
    writeNpy(join(dir, yName), [3, 1], [2, 0, 1], '|u1');
    const d = await loadData({ source: dir, split: 'calibration' });
    expect(d.count).toBe(3);
    expect(Array.from(d.labels!).sort()).toEqual([0, 1, 2]);
  });

  it('moves channels last for a channels-first [N,3,H,W] array', async () => {
    const dir = tempDir();
    const values = Array.from({ length: 3 * 2 * 5 }, (_, i) => i); // channel c, pixel p = c*10 + p
    const file = writeNpy(join(dir, 'rgb.npy'), [1, 3, 2, 5], values, '|u1');
    const d = await loadData({ source: file, split: 'calibration' });
    expect(d.sampleShape).toEqual([2, 5, 3]);
    expect(Array.from(d.x.subarray(0, 6), (v) => Math.round(v * 255))).toEqual([0, 10, 20, 1, 11, 21]);
  });

  it('allows unlabelled inputs (a lone .npy file)', async () => {
    const dir = tempDir();
    const file = writeNpy(join(dir, 'calib.npy'), [4, 3], Array(12).fill(7), '|u1');
    const d = await loadData({ source: file, split: 'calibration' });
    expect(d.labels).toBeUndefined();
    expect(d.count).toBe(4);
  });

  it.each([
    ['float labels', (dir: string) => writeNpy(join(dir, 'y.npy'), [2], [0.5, 1], '<f4'), /y\.npy: labels must be non-negative integers; found 0\.5 at index 0/],
    ['one-hot labels', (dir: string) => writeNpy(join(dir, 'y.npy'), [2, 2], [1, 0, 0, 1], '<f4'), /y\.npy: labels must be class indices of shape \[N\]; got \[2,2\] \(one-hot\?\)/],
    ['count mismatch', (dir: string) => writeNpy(join(dir, 'y.npy'), [3], [0, 1, 1], '<i4'), /y\.npy: 3 labels for 2 samples in .*x\.npy/],
    ['bad dtype', (dir: string) => writeNpy(join(dir, 'y.npy'), [2], [0, 1], '<i2'), /y\.npy: unsupported dtype '<i2'/],
  ])('rejects %s, naming the file', async (_n, writeLabels, message) => {
    const dir = tempDir();
    const xs = writeNpy(join(dir, 'x.npy'), [2, 3], [1, 2, 3, 4, 5, 6], '|u1');
    const ys = writeLabels(dir);
    await expect(loadData({ source: `${xs},${ys}`, split: 'test' })).rejects.toThrow(message);
  });

  it.each([
    ['a 1-d inputs array', [6], [1, 2, 3, 4, 5, 6], '|u1', /x\.npy: inputs must have shape \[N,features\], \[N,H,W\] or \[N,H,W,C\]; got \[6\]/],
    ['integer pixels out of range', [1, 2], [3, 300], '<i4', /x\.npy: integer inputs must be pixels in 0\.\.255; found 300 at index 1/],
    ['a NaN input', [1, 2], [NaN, 1], '<f4', /x\.npy: non-finite input value NaN at index 0/],
  ] as const)('rejects %s, naming the file', async (_n, shape, values, descr, message) => {
    const dir = tempDir();
    const xs = writeNpy(join(dir, 'x.npy'), [...shape], [...values], descr);
    await expect(loadData({ source: xs, split: 'calibration' })).rejects.toThrow(message);
  });

  it('rejects a comma list that is not two .npy files', async () => {
    await expect(loadData({ source: 'a.npy,b.npy,c.npy', split: 'test' })).rejects.toThrow(/expected exactly two \.npy files/);
  });

  it('treats a folder named like nothing built in as a path', async () => {
    const dir = join(tempDir(), 'mnist-copy');
    mkdirSync(dir);
    await expect(loadData({ source: dir, split: 'test' })).rejects.toThrow(`${dir}: no images (.jpg, .jpeg, .png, also in class subfolders), IDX files`);
  });
});
