import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIdx, readIdxFile } from '../../src/data/index.js';
import { idxBytes, tempDir, writeIdx } from './fixtures.js';

describe('IDX parser', () => {
  const dir = tempDir();

  it.each([
    ['plain', false],
    ['gzipped', true],
  ])('reads a %s uint8 file', async (_name, gzip) => {
    const file = writeIdx(join(dir, `img-${gzip}.idx3${gzip ? '.gz' : ''}`), [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255], { gzip });
    const arr = await readIdxFile(file);
    expect(arr.dims).toEqual([2, 2, 3]);
    expect(arr.dtype).toBe('uint8');
    expect(Array.from(arr.data)).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  });

  it.each([
    ['int8', [-128, 0, 127]],
    ['int16', [-300, 0, 30000]],
    ['int32', [-70000, 1, 2147483647]],
    ['float32', [0.5, -1.25, 3]],
    ['float64', [0.1, -1e300, 2]],
  ] as const)('decodes big-endian %s values', (dtype, values) => {
    const arr = parseIdx(idxBytes([3], [...values], dtype), 'x.idx');
    expect(arr.dtype).toBe(dtype);
    expect(Array.from(arr.data)).toEqual([...values]);
  });

  it.each([
    ['bad magic', Buffer.from([1, 2, 8, 1, 0, 0, 0, 1, 5]), /x\.idx: bad IDX magic 01 02 08 01/],
    ['unknown type', Buffer.from([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), /x\.idx: unknown IDX type code 0x7/],
    ['truncated header', Buffer.from([0, 0, 8, 3, 0, 0, 0, 1]), /x\.idx: truncated IDX header \(8 of 16 bytes\)/],
    ['truncated data', idxBytes([2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 15), /x\.idx: truncated IDX data: dims \[2,3\] need 6 bytes, found 3/],
    ['trailing bytes', Buffer.concat([idxBytes([2], [1, 2]), Buffer.from([9])]), /x\.idx: 1 unexpected trailing bytes/],
    ['too short', Buffer.from([0, 0]), /x\.idx: truncated IDX file/],
  ])('rejects %s, naming the file', (_name, bytes, message) => {
    expect(() => parseIdx(bytes, 'x.idx')).toThrow(message);
  });

  it('reports a corrupt .gz and a missing file by name', async () => {
    const file = join(dir, 'broken-idx3.gz');
    writeFileSync(file, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    await expect(readIdxFile(file)).rejects.toThrow(`${file}: not a valid gzip file`);
    await expect(readIdxFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND', subject: join(dir, 'nope') });
  });
});
