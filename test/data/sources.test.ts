import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetFeeds, planFeeds } from '../../src/data/feeds.js';
import { decodeImage, imageSize, pixelsToInput } from '../../src/data/images.js';
import { loadData } from '../../src/data/index.js';
import { resolveDataFeed } from '../../src/data/sources.js';
import type { ValueInfo } from '../../src/formats/types.js';
import { tempDir, writeNpy } from './fixtures.js';

/**
 * `--data` matched to a model's declared inputs, the same for every format (src/data/sources.ts): image folders
 * sized and laid out as the input wants, free dims from the images or the .npy, one source per input, and one line
 * naming the file or input for every bad source.
 */
const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PHOTOS = path.resolve(import.meta.dirname, '../fixtures/real/photos');

/** A PNG whose pixel (x, y) has RGB (10x + k, 10y + k, 100 + k): positions and images are recognisable after decoding. */
function png(file: string, width: number, height: number, k: number): string {
  const p = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      p.data[at] = 10 * x + k; p.data[at + 1] = 10 * y + k; p.data[at + 2] = 100 + k; p.data[at + 3] = 255;
    }
  }
  writeFileSync(file, PNG.sync.write(p));
  return file;
}

function folder(name: string, sizes: [number, number][]): string {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  sizes.forEach(([w, h], k) => png(path.join(d, `${k}.png`), w, h, k));
  return d;
}

const nchw: ValueInfo[] = [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }];
const nhwcFree: ValueInfo[] = [{ name: 'LR', dtype: 'float32', shape: [null, null, null, 3] }];
const twoInputs: ValueInfo[] = [{ name: 'a', dtype: 'float32', shape: ['N', 4] }, { name: 'ids', dtype: 'int64', shape: ['N', 3] }];

describe('image headers', () => {
  it('reads PNG and JPEG sizes from the header as the decoder sees them', () => {
    for (const f of ['chelsea.png', 'rocket.jpg']) {
      const bytes = readFileSync(path.join(PHOTOS, f));
      const decoded = decodeImage(bytes, f);
      expect(imageSize(bytes)).toEqual({ width: decoded.width, height: decoded.height });
    }
    expect(imageSize(readFileSync(path.join(PHOTOS, 'rocket.jpg')))).toEqual({ width: 640, height: 427 });
  });

  it('--mean/--std apply in the units of --input-range (ImageNet: range 0,1)', () => {
    const out = new Float32Array(3);
    pixelsToInput(Float32Array.of(255, 0, 127.5), { height: 1, width: 1, channels: 3, layout: 'NHWC', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, out, 0);
    expect(Array.from(out)).toEqual([(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.5 - 0.406) / 0.225].map((v) => Math.fround(v)));
    pixelsToInput(Float32Array.of(255, 0, 127.5), { height: 1, width: 1, channels: 3, layout: 'NHWC', range: [-1, 1] }, out, 0);
    expect(Array.from(out)).toEqual([1, -1, 0]);
  });
});

describe('image folders for any format', () => {
  it('an NCHW input gets channels first at the size the graph (or --input-shape) gives, in a seeded order', async () => {
    const photos = folder('nchw', [[8, 6], [5, 5], [9, 4]]);
    const r = await resolveDataFeed({ model: 'm.onnx', inputs: nchw, request: { data: [photos], pixels: { range: [0, 255] } }, feeding: { shapes: { x: [1, 3, 6, 8] } } });
    expect(r.feed?.images?.['']).toMatchObject({ height: 6, width: 8, channels: 3, range: [0, 255] });
    const data = await loadData({ source: r.source, split: 'test', feed: r.feed });
    expect(data.count).toBe(3);
    const plan = await planFeeds('m.onnx', nchw, r.inputs);
    const feed = datasetFeeds(plan, data, { start: 0, end: 3 }).x!;
    expect(feed.dims).toEqual([3, 3, 6, 8]);
    // Channel 2 (blue) is 100 + k everywhere: after the red and green planes, a whole plane of one value per image.
    const blue = Array.from({ length: 3 }, (_, s) => Array.from(feed.data.slice(s * 144 + 96, s * 144 + 144) as Float32Array));
    for (const plane of blue) expect(new Set(plane.map((v) => Math.round(v))).size).toBe(1);
    expect(blue.map((p) => Math.round(p[0]!)).sort()).toEqual([100, 101, 102]);
    const again = await loadData({ source: r.source, split: 'test', feed: r.feed });
    expect(Array.from(again.x)).toEqual(Array.from(data.x));
  });

  it('free height/width take the images\' size when they share one (a note says so)', async () => {
    const photos = folder('same', [[6, 4], [6, 4]]);
    const r = await resolveDataFeed({ model: 'up', inputs: nhwcFree, request: { data: [photos] } });
    expect(r.inputs?.shapes).toEqual({ '': [1, 4, 6, 3] });
    expect(r.notes[0]).toMatch(/input 'LR' \[\?, \?, \?, 3\]: free dims set from the images in .* \(6×4; --input-shape picks another size\)/);
    const data = await loadData({ source: r.source, split: 'test', feed: r.feed });
    expect(data.sampleShape).toEqual([4, 6, 3]);
    // Pixel (x=5, y=3) of image k is (50 + k, 30 + k, 100 + k) / 255 in the default range 0,1.
    const px = Array.from(data.x.slice((3 * 6 + 5) * 3, (3 * 6 + 5) * 3 + 3)).map((v) => Math.round(v * 255));
    expect([[50, 30, 100], [51, 31, 101]]).toContainEqual(px);
  });

  it.each([
    ['images of several sizes and free dims', () => folder('mixed', [[6, 4], [5, 5]]), nhwcFree, {},
      /mixed: images of 2 sizes \(.*0\.png 6×4, .*1\.png 5×5\) and input 'LR' \[\?, \?, \?, 3\] has a free height\/width; give it with --input-shape LR=1,H,W,3$/],
    ['an input that is not an image', () => folder('ok', [[4, 4]]), [{ name: 't', dtype: 'float32', shape: ['N', 7, 5] }], {},
      null],
    ['--input-range without an image folder', () => writeNpy(path.join(dir, 'r.npy'), [2, 4], [0, 1, 2, 3, 4, 5, 6, 7], '<f4'), [twoInputs[0]!], { pixels: { range: [0, 255] as [number, number] } },
      /r\.npy: --input-range\/--mean\/--std scale image folders, and no --data source is one/],
    ['an --input-shape that contradicts the model', () => folder('ok2', [[4, 4]]), nchw, { shapes: { x: [1, 1, 4, 4] } },
      /--input-shape x=1,1,4,4 contradicts the declared \[N, 3, H, W\] at axis 1/],
  ] as const)('refuses %s in one line', async (_name, make, inputs, extra, message) => {
    const source = make();
    const { shapes, pixels } = extra as { shapes?: Record<string, number[]>; pixels?: { range: [number, number] } };
    const run = resolveDataFeed({ model: 'm', inputs: [...inputs] as ValueInfo[], request: { data: [source], pixels }, feeding: shapes ? { shapes } : undefined });
    // A rank-3 input takes grey images [N,H,W]: that one is fine.
    if (message === null) { await expect(run).resolves.toBeDefined(); return; }
    await expect(run).rejects.toThrow(message);
  });

  it('an image that will not decode and a folder with no images are one line naming the file or folder', async () => {
    const bad = path.join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
    const r = await resolveDataFeed({ model: 'm', inputs: nchw, request: { data: [bad] }, feeding: { shapes: { x: [1, 3, 4, 4] } } });
    await expect(loadData({ source: r.source, split: 'test', feed: r.feed })).rejects.toThrow(/bad\/broken\.jpg: cannot decode the image/);
    const empty = path.join(dir, 'empty');
    mkdirSync(path.join(empty, 'sub'), { recursive: true });
    await expect(loadData({ source: empty, split: 'test' })).rejects.toThrow(/empty: no images \(\.jpg, \.jpeg, \.png, also in class subfolders\), IDX files/);
  });
});

describe('one source per input (--data name=...)', () => {
  const a = writeNpy(path.join(dir, 'a.npy'), [3, 4], Array.from({ length: 12 }, (_, i) => i / 10), '<f4');
  const ids = writeNpy(path.join(dir, 'ids.npy'), [3, 3], [5, 6, 7, 8, 9, 10, 300, 301, 302], '<i8');

  it('feeds each input its own samples, integer ids as stored (not scaled as pixels)', async () => {
    const r = await resolveDataFeed({ model: 'm', inputs: twoInputs, request: { data: [`a=${a}`, `ids=${ids}`] } });
    expect(r.inputs?.dataInputs).toEqual(['a', 'ids']);
    expect(r.source).toBe(`a=${a} ids=${ids}`);
    const data = await loadData({ source: r.source, split: 'test', feed: r.feed });
    const plan = await planFeeds('m', twoInputs, r.inputs);
    const feeds = datasetFeeds(plan, data, { start: 1, end: 3 });
    expect(Array.from(feeds.a!.data as Float32Array)).toEqual([0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1].map(Math.fround));
    expect(Array.from(feeds.ids!.data as BigInt64Array)).toEqual([8n, 9n, 10n, 300n, 301n, 302n]);
  });

  it.each([
    ['an input the model lacks', () => [`a=${a}`, `mask=${ids}`], /--data names input 'mask', which the model does not have \(inputs: a, ids\)/],
    ['a .npy of the wrong shape', () => [`a=${ids}`, `ids=${ids}`], /ids\.npy: shape \[3, 3\] does not fit input 'a' of m, which takes \[N, 4\]/],
    ['a .npy of the wrong type', () => [`a=${a}`, `ids=${writeNpy(path.join(dir, 'f.npy'), [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9], '<f4')}`], /f\.npy: float32 values for input 'ids' of m, which takes int64/],
    ['several sources, one unnamed', () => [a, `ids=${ids}`], /--data is given 2 times; name the input each one feeds/],
  ])('refuses %s in one line', async (_name, data, message) => {
    await expect(resolveDataFeed({ model: 'm', inputs: twoInputs, request: { data: data() } })).rejects.toThrow(message);
  });

  it('one source as inputs.npy,labels.npy (or --labels) keeps its labels and is checked against the input', async () => {
    const y = writeNpy(path.join(dir, 'y.npy'), [3], [0, 1, 1], '<i8');
    for (const request of [{ data: [`${a},${y}`] }, { data: [a], labels: y }]) {
      const r = await resolveDataFeed({ model: 'm', inputs: [twoInputs[0]!], request });
      expect(r.source).toBe(`${a},${y}`);
      expect(Array.from((await loadData({ source: r.source, split: 'test', feed: r.feed })).labels!)).toEqual([0, 1, 1]);
    }
    await expect(resolveDataFeed({ model: 'm', inputs: [twoInputs[0]!], request: { data: [`${ids},${y}`] } })).rejects.toThrow(/ids\.npy: shape \[3, 3\] does not fit input 'a'/);
  });

  it('sources of different lengths are one line naming both files', async () => {
    const short = writeNpy(path.join(dir, 'short.npy'), [2, 3], [1, 2, 3, 4, 5, 6], '<i8');
    const r = await resolveDataFeed({ model: 'm', inputs: twoInputs, request: { data: [`a=${a}`, `ids=${short}`] } });
    await expect(loadData({ source: r.source, split: 'test', feed: r.feed })).rejects.toThrow(/short\.npy: 2 samples for input 'ids' but 3 for 'a'/);
  });
});
