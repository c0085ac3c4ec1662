import { ShrinkmlError } from '../core/errors.js';
import { readDataFile } from './read.js';

/**
 * NumPy .npy files (format versions 1-3) holding one C-order little-endian array of a plain numeric dtype.
 * int64 values come back as float64 numbers (checked to be exact), the other dtypes in their own typed array.
 */
export type NpyDtype = 'uint8' | 'int32' | 'int64' | 'float32' | 'float64';
export type NpyData = Uint8Array | Int32Array | Float32Array | Float64Array;

export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  data: NpyData;
}

const DESCRS: Record<string, { dtype: NpyDtype; size: number }> = {
  u1: { dtype: 'uint8', size: 1 },
  i4: { dtype: 'int32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function bad(file: string, problem: string, suggestion?: string): ShrinkmlError {
  return new ShrinkmlError('BAD_INPUT', `${file}: ${problem}`, { subject: file, suggestion });
}

/** Parses a .npy file's bytes; `file` only names it in errors. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw bad(file, 'not a .npy file (bad magic; expected \\x93NUMPY)');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad(file, 'truncated .npy header');
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  } else {
    throw bad(file, `unsupported .npy format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLen;
  if (bytes.length < dataStart) throw bad(file, `truncated .npy header (${bytes.length} of ${dataStart} bytes)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortran, shape } = parseHeader(header, file);

  const order = descr[0];
  const code = descr.slice(1);
  const type = DESCRS[code];
  if (!type || !['<', '|', '='].includes(order ?? '')) {
    if (order === '>' && DESCRS[code]) {
      throw bad(file, `big-endian dtype '${descr}' is not supported`, `convert it: np.save(path, arr.astype('<${code}'))`);
    }
    throw bad(file, `unsupported dtype '${descr}' (supported: <f4, <f8, |u1, <i4, <i8)`);
  }
  if (fortran) {
    throw bad(file, 'Fortran-order arrays are not supported', 'save a C-order copy: np.save(path, np.ascontiguousarray(arr))');
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * type.size;
  const found = bytes.length - dataStart;
  if (found < expected) throw bad(file, `truncated .npy data: shape (${shape.join(',')}) ${descr} needs ${expected} bytes, found ${found}`);
  if (found > expected) throw bad(file, `${found - expected} unexpected trailing bytes after .npy data of shape (${shape.join(',')})`);
  return { shape, dtype: type.dtype, data: decode(bytes, dataStart, count, type.dtype, file) };
}

function parseHeader(header: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad(file, `cannot parse .npy header ${JSON.stringify(header.trim().slice(0, 120))} (structured dtypes are not supported)`);
  }
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const shape = parts.map((p) => {
    const n = Number(p.replace(/L$/, ''));
    if (!Number.isSafeInteger(n) || n < 0) throw bad(file, `bad dimension '${p}' in .npy shape (${shapeText})`);
    return n;
  });
  return { descr, fortran: fortran === 'True', shape };
}

function decode(bytes: Uint8Array, offset: number, count: number, dtype: NpyDtype, file: string): NpyData {
  // Copy into a fresh buffer: the data need not be aligned for a typed-array view of the original.
  const start = bytes.byteOffset + offset;
  const copy = (size: number) => bytes.buffer.slice(start, start + count * size) as ArrayBuffer;
  switch (dtype) {
    case 'uint8': return new Uint8Array(copy(1));
    case 'int32': return new Int32Array(copy(4));
    case 'float32': return new Float32Array(copy(4));
    case 'float64': return new Float64Array(copy(8));
    case 'int64': {
      const big = new BigInt64Array(copy(8));
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = Number(big[i]!);
        if (!Number.isSafeInteger(v)) throw bad(file, `int64 value ${big[i]} at index ${i} is too large to represent exactly`);
        out[i] = v;
      }
      return out;
    }
  }
}

/** Reads and parses a .npy file (optionally gzipped). */
export async function readNpyFile(file: string): Promise<NpyArray> {
  return parseNpy(await readDataFile(file), file);
}
