import { ShrinkmlError } from '../core/errors.js';
import { readDataFile } from './read.js';

/**
 * IDX, the format MNIST ships in: two zero bytes, a type code, the number of dimensions, each dimension as a
 * big-endian uint32, then the values big-endian and row-major.
 */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dims: number[];
  dtype: IdxDtype;
  data: IdxData;
}

const TYPES: Record<number, { dtype: IdxDtype; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};

function bad(file: string, problem: string): ShrinkmlError {
  return new ShrinkmlError('BAD_INPUT', `${file}: ${problem}`, { subject: file });
}

/** Parses a decompressed IDX file; `file` only names it in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw bad(file, `truncated IDX file (${bytes.length} bytes, the header alone needs 4)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw bad(file, `bad IDX magic ${magic} (expected 00 00 <type> <ndims>)`);
  }
  const type = TYPES[bytes[2]!];
  if (!type) throw bad(file, `unknown IDX type code 0x${bytes[2]!.toString(16)}`);
  const ndims = bytes[3]!;
  if (ndims === 0) throw bad(file, 'IDX file with 0 dimensions');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw bad(file, `truncated IDX header (${bytes.length} of ${headerBytes} bytes)`);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = count * type.size;
  const found = bytes.length - headerBytes;
  if (found < expected) throw bad(file, `truncated IDX data: dims [${dims.join(',')}] need ${expected} bytes, found ${found}`);
  if (found > expected) throw bad(file, `${found - expected} unexpected trailing bytes after IDX data of dims [${dims.join(',')}]`);
  return { dims, dtype: type.dtype, data: decode(view, headerBytes, count, type.dtype) };
}

function decode(view: DataView, offset: number, count: number, dtype: IdxDtype): IdxData {
  const base = view.byteOffset + offset;
  if (dtype === 'uint8') return new Uint8Array(view.buffer.slice(base, base + count));
  if (dtype === 'int8') return new Int8Array(view.buffer.slice(base, base + count));
  const out = dtype === 'int16' ? new Int16Array(count) : dtype === 'int32' ? new Int32Array(count)
    : dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
  const read = dtype === 'int16' ? (o: number) => view.getInt16(o, false)
    : dtype === 'int32' ? (o: number) => view.getInt32(o, false)
    : dtype === 'float32' ? (o: number) => view.getFloat32(o, false) : (o: number) => view.getFloat64(o, false);
  const size = out.BYTES_PER_ELEMENT;
  for (let i = 0; i < count; i++) out[i] = read(offset + i * size);
  return out;
}

/** Reads and parses an IDX file, plain or gzipped. */
export async function readIdxFile(file: string): Promise<IdxArray> {
  return parseIdx(await readDataFile(file), file);
}
