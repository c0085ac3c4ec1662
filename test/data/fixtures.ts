import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Writers for synthetic IDX and NPY files, so parser tests do not depend on shipped data. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'shrinkml-data-'));
}

const IDX_CODES = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e } as const;
const IDX_SIZES = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 } as const;

export function idxBytes(dims: number[], values: number[], dtype: keyof typeof IDX_CODES = 'uint8'): Buffer {
  const size = IDX_SIZES[dtype];
  const buf = Buffer.alloc(4 + 4 * dims.length + values.length * size);
  buf[2] = IDX_CODES[dtype];
  buf[3] = dims.length;
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  const off = 4 + 4 * dims.length;
  values.forEach((v, i) => {
    const o = off + i * size;
    if (dtype === 'uint8') buf.writeUInt8(v, o);
    else if (dtype === 'int8') buf.writeInt8(v, o);
    else if (dtype === 'int16') buf.writeInt16BE(v, o);
    else if (dtype === 'int32') buf.writeInt32BE(v, o);
    else if (dtype === 'float32') buf.writeFloatBE(v, o);
    else buf.writeDoubleBE(v, o);
  });
  return buf;
}

export function writeIdx(path: string, dims: number[], values: number[], opts: { gzip?: boolean; dtype?: keyof typeof IDX_CODES } = {}): string {
  const bytes = idxBytes(dims, values, opts.dtype);
  writeFileSync(path, opts.gzip ? gzipSync(bytes) : bytes);
  return path;
}

export type NpyDescr = '<f4' | '<f8' | '|u1' | '<i4' | '<i8' | '>f4' | '<c8' | '<i2';

export interface NpyOpts { version?: 1 | 2; fortran?: boolean; /** Start the data at an odd offset instead of numpy's 64-byte alignment. */ unpadded?: boolean }

export function npyBytes(shape: number[], values: number[], descr: NpyDescr, opts: NpyOpts = {}): Buffer {
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  const pad = 64 - ((pre + header.length + 1) % 64);
  header = header + (opts.unpadded ? ' '.repeat((pre + header.length + 1) % 2 === 0 ? 1 : 0) : ' '.repeat(pad % 64)) + '\n';
  const size = { '<f4': 4, '<f8': 8, '|u1': 1, '<i4': 4, '<i8': 8, '>f4': 4, '<c8': 8, '<i2': 2 }[descr];
  const data = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    const o = i * size;
    if (descr === '<f4') data.writeFloatLE(v, o);
    else if (descr === '>f4') data.writeFloatBE(v, o);
    else if (descr === '<f8') data.writeDoubleLE(v, o);
    else if (descr === '|u1') data.writeUInt8(v, o);
    else if (descr === '<i4') data.writeInt32LE(v, o);
    else if (descr === '<i8') data.writeBigInt64LE(BigInt(v), o);
    else if (descr === '<i2') data.writeInt16LE(v, o);
  });
  const head = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(header.length, 8);
  else head.writeUInt32LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

export function writeNpy(path: string, shape: number[], values: number[], descr: NpyDescr, opts: NpyOpts = {}): string {
  writeFileSync(path, npyBytes(shape, values, descr, opts));
  return path;
}

/** n samples of h×w pixels where pixel p of sample s is (s * 7 + p) % 256, and labels s % classes. */
export function syntheticImages(n: number, h: number, w: number, classes = 10): { pixels: number[]; labels: number[] } {
  const pixels: number[] = [];
  for (let s = 0; s < n; s++) for (let p = 0; p < h * w; p++) pixels.push((s * 7 + p) % 256);
  return { pixels, labels: Array.from({ length: n }, (_, s) => s % classes) };
}
