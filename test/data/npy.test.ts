import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpy, readNpyFile } from '../../src/data/index.js';
import { npyBytes, tempDir, writeNpy } from './fixtures.js';

describe('NPY parser', () => {
  it.each([
    ['<f4', 'float32', [0.5, -2, 3.25, 0, 1, 7]],
    ['<f8', 'float64', [0.1, -2e100, 3, 0, 1, 7]],
    ['|u1', 'uint8', [0, 1, 128, 200, 254, 255]],
    ['<i4', 'int32', [-5, 0, 2147483647, 3, 4, 5]],
    ['<i8', 'int64', [-5, 0, 2 ** 40, 3, 4, 9007199254740991]],
  ] as const)('reads %s as %s in shape (2, 3)', (descr, dtype, values) => {
    const arr = parseNpy(npyBytes([2, 3], [...values], descr), 'a.npy');
    expect(arr.dtype).toBe(dtype);
    expect(arr.shape).toEqual([2, 3]);
    expect(Array.from(arr.data)).toEqual([...values]);
  });

  it.each([1, 2] as const)('reads header version %i and a 1-d shape', (version) => {
    const arr = parseNpy(npyBytes([4], [1, 2, 3, 4], '<i4', { version }), 'a.npy');
    expect(arr.shape).toEqual([4]);
    expect(Array.from(arr.data)).toEqual([1, 2, 3, 4]);
  });

  it('reads data that starts at an unaligned offset', () => {
    const buf = npyBytes([2], [1.5, 2.5], '<f4', { unpadded: true });
    expect((buf.length - 8) % 4).not.toBe(0);
    expect(Array.from(parseNpy(buf, 'a.npy').data)).toEqual([1.5, 2.5]);
  });

  it.each([
    ['big-endian', npyBytes([2], [1, 2], '>f4'), /a\.npy: big-endian dtype '>f4' is not supported/],
    ['fortran order', npyBytes([2, 2], [1, 2, 3, 4], '<f4', { fortran: true }), /a\.npy: Fortran-order arrays are not supported/],
    ['unsupported dtype', npyBytes([2], [1, 2], '<c8'), /a\.npy: unsupported dtype '<c8'/],
    ['bad magic', Buffer.from('PK\x03\x04 this is a zip file'), /a\.npy: not a \.npy file \(bad magic/],
    ['truncated data', npyBytes([3, 2], [1, 2, 3, 4, 5, 6], '<f4').subarray(0, 128 + 20), /a\.npy: truncated \.npy data: shape \(3,2\) <f4 needs 24 bytes, found 20/],
    ['truncated header', npyBytes([3], [1, 2, 3], '<f4').subarray(0, 30), /a\.npy: truncated \.npy header/],
  ])('rejects %s, naming the file', (_name, bytes, message) => {
    expect(() => parseNpy(bytes, 'a.npy')).toThrow(message);
  });

  it('reads from disk and names a missing file', async () => {
    const dir = tempDir();
    const file = writeNpy(join(dir, 'x.npy'), [1, 2], [3, 4], '|u1');
    expect(Array.from((await readNpyFile(file)).data)).toEqual([3, 4]);
    await expect(readNpyFile(join(dir, 'missing.npy'))).rejects.toThrow(`${join(dir, 'missing.npy')}: no such file`);
  });
});
