import * as tf from '@tensorflow/tfjs';
import { statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { measureSize, sizeFromBytes } from '../../src/measure/index.js';
import { knownDense, writeLayersFolder } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('measureSize', () => {
  it('counts model.json and the listed shards, not the other files in the folder', async () => {
    const folder = await writeLayersFolder(knownDense());
    const size = await measureSize({ loaded: folder });
    // 23 float32 parameters = 92 bytes of weights, split 46 + 46.
    expect(folder.bytes.shards).toEqual([46, 46]);
    expect(size.bytes).toBe(folder.bytes.json + 92);
    const onDisk = [folder.descriptorPath, ...folder.weightFiles].reduce((s, p) => s + statSync(p).size, 0);
    expect(size.bytes).toBe(onDisk);
    expect(size.files.map((f) => f.bytes)).toEqual([folder.bytes.json, 46, 46]);
    expect(size.gzipBytes).toBe(size.files.reduce((s, f) => s + f.gzipBytes, 0));
  });

  it('gzip of a zero-filled weight file is much smaller than raw', async () => {
    const big = tf.sequential({ layers: [tf.layers.dense({ inputShape: [100], units: 100 })] });
    const folder = await writeLayersFolder(big, true);
    const size = await measureSize({ loaded: folder });
    const shard = size.files[1];
    expect(shard.bytes).toBe((100 * 100 + 100) * 4 / 2);
    expect(shard.gzipBytes).toBeLessThan(shard.bytes / 50);
    big.dispose();
  });

  it('a listed file that is missing is a NOT_FOUND error naming it', async () => {
    const folder = await writeLayersFolder(knownDense());
    const missing = folder.weightFiles[0] + '.gone';
    const err = await measureSize({ loaded: { ...folder, weightFiles: [missing] } }).catch((e) => e);
    expect(err).toBeInstanceOf(ShrinkmlError);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain(missing);
  });
});

describe('sizeFromBytes', () => {
  it('needs no files and gzips each file separately', async () => {
    const zeros = new Uint8Array(10_000);
    const noise = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 2654435761) >>> 24);
    const size = await sizeFromBytes([{ path: 'a', data: zeros }, { path: 'b', data: noise }]);
    expect(size.bytes).toBe(20_000);
    expect(size.files[0].gzipBytes).toBeLessThan(100);
    expect(size.gzipBytes).toBe(size.files[0].gzipBytes + size.files[1].gzipBytes);
    expect((await sizeFromBytes([])).bytes).toBe(0);
  });
});
