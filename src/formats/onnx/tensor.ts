import { ShrinkmlError } from '../../core/errors.js';
import { toFloat16 } from '../encode.js';
import { MAX_ELEMENTS_PER_TENSOR } from '../validate.js';
import { onnx, toNumber, type TensorProto, type TensorProtoMessage } from './proto.js';
import { BITS_PER_ELEMENT, DATA_TYPE_NAMES, DataType } from './schema.js';

/**
 * TensorProto <-> typed arrays, with the checks an untrusted file needs: declared dims against the element limit,
 * and the stored data (raw_data or the typed repeated fields) against the declared size, so a short tensor is an
 * error here rather than garbage or a crash in onnxruntime.
 */

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d));
}

export function elementCountOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function dataTypeName(dataType: number | null | undefined): string {
  return DATA_TYPE_NAMES[dataType ?? 0] ?? `type ${dataType}`;
}

/** The field a dtype's values live in when raw_data is absent (ONNX stores small ints in int32_data). */
function typedField(t: TensorProto): ArrayLike<unknown> | null | undefined {
  switch (t.dataType) {
    case DataType.FLOAT: case DataType.COMPLEX64: return t.floatData;
    case DataType.DOUBLE: case DataType.COMPLEX128: return t.doubleData;
    case DataType.INT64: return t.int64Data;
    case DataType.UINT32: case DataType.UINT64: return t.uint64Data;
    case DataType.STRING: return t.stringData;
    default: return t.int32Data;
  }
}

export interface TensorCheck { file: string; where: string; maxElements?: number }

/** Validates dims, dtype, location and data length; returns the element count. */
export function checkTensor(t: TensorProto, { file, where, maxElements = MAX_ELEMENTS_PER_TENSOR }: TensorCheck): number {
  const fail = (code: 'BAD_INPUT' | 'LIMIT' | 'UNSUPPORTED', what: string, suggestion?: string) =>
    new ShrinkmlError(code, `${file}: ${where}: ${what}`, { subject: file, suggestion });
  let dims: number[];
  try {
    dims = tensorDims(t);
  } catch {
    throw fail('LIMIT', 'a dimension is beyond 2^53');
  }
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw fail('BAD_INPUT', `invalid dims [${dims.join(', ')}]`);
  const count = dims.some((d) => d === 0) ? 0 : dims.reduce((a, b) => (a > maxElements ? a : a * b), 1);
  if (count > maxElements) throw fail('LIMIT', `declares dims [${dims.join(', ')}], over the limit of ${maxElements} elements`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw fail('UNSUPPORTED', 'stores its data in an external file',
      'embed the weights: onnx.save(onnx.load(path), out, save_as_external_data=False) (models under 2 GB)');
  }
  if (t.segment) throw fail('UNSUPPORTED', 'is a segmented tensor');
  const bits = BITS_PER_ELEMENT[t.dataType ?? 0];
  if (!bits && t.dataType !== DataType.STRING) throw fail('BAD_INPUT', `has no valid data type (${t.dataType ?? 'none'})`);
  const raw = t.rawData?.length ?? 0;
  if (raw > 0 || (t.dataType !== DataType.STRING && !typedField(t)?.length && count > 0)) {
    if (t.dataType === DataType.STRING) throw fail('BAD_INPUT', 'a string tensor cannot use raw_data');
    const need = Math.ceil((count * bits!) / 8);
    if (raw !== need) throw fail('BAD_INPUT', `holds ${raw} bytes of raw data, but dims [${dims.join(', ')}] of ${dataTypeName(t.dataType)} need ${need}`);
    return count;
  }
  const stored = typedField(t)?.length ?? 0;
  // Complex numbers store two floats per element; 4-bit types two elements per int32_data entry.
  const complex = t.dataType === DataType.COMPLEX64 || t.dataType === DataType.COMPLEX128;
  const expected = complex ? 2 * count : bits === 4 ? Math.ceil(count / 2) : count;
  if (stored !== expected) throw fail('BAD_INPUT', `holds ${stored} values, but dims [${dims.join(', ')}] need ${expected}`);
  return count;
}

/** A float view of a FLOAT, FLOAT16, DOUBLE or integer tensor's values (always a copy, safe to modify). */
export function tensorToFloat32(t: TensorProto): Float32Array {
  return readValues(t, new Float32Array(elementCountOf(tensorDims(t))));
}

/** Integer values of an INT64/INT32 tensor (e.g. a Reshape shape), exact up to 2^53. */
export function tensorToInts(t: TensorProto): number[] {
  return Array.from(readValues(t, new Float64Array(elementCountOf(tensorDims(t)))));
}

function readValues<T extends Float32Array | Float64Array>(t: TensorProto, out: T): T {
  const raw = t.rawData?.length ? t.rawData : null;
  if (raw) {
    const read = rawReader(t.dataType ?? 0, new DataView(raw.buffer, raw.byteOffset, raw.byteLength));
    for (let i = 0; i < out.length; i++) out[i] = read(i);
    return out;
  }
  const values = typedField(t) as ArrayLike<number | { toNumber(): number }>;
  // Without raw_data, FLOAT16/BFLOAT16 keep their bit patterns in int32_data.
  const half = t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16;
  for (let i = 0; i < out.length; i++) {
    const v = values[i]!;
    const n = typeof v === 'number' ? v : v.toNumber();
    out[i] = half ? halfBitsToFloat(n, t.dataType === DataType.BFLOAT16) : n;
  }
  return out;
}

function rawReader(dataType: number, view: DataView): (i: number) => number {
  switch (dataType) {
    case DataType.FLOAT: return (i) => view.getFloat32(4 * i, true);
    case DataType.DOUBLE: return (i) => view.getFloat64(8 * i, true);
    case DataType.FLOAT16: return (i) => halfBitsToFloat(view.getUint16(2 * i, true), false);
    case DataType.BFLOAT16: return (i) => halfBitsToFloat(view.getUint16(2 * i, true), true);
    case DataType.INT8: return (i) => view.getInt8(i);
    case DataType.UINT8: case DataType.BOOL: return (i) => view.getUint8(i);
    case DataType.INT16: return (i) => view.getInt16(2 * i, true);
    case DataType.UINT16: return (i) => view.getUint16(2 * i, true);
    case DataType.INT32: return (i) => view.getInt32(4 * i, true);
    case DataType.UINT32: return (i) => view.getUint32(4 * i, true);
    case DataType.INT64: return (i) => Number(view.getBigInt64(8 * i, true));
    case DataType.UINT64: return (i) => Number(view.getBigUint64(8 * i, true));
    default: throw new ShrinkmlError('UNSUPPORTED', `cannot read ${dataTypeName(dataType)} tensor values as numbers`);
  }
}

function halfBitsToFloat(bits: number, bfloat: boolean): number {
  if (bfloat) return new Float32Array(new Uint32Array([bits << 16]).buffer)[0]!;
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

type Numeric = 'float32' | 'float16' | 'int8' | 'uint8' | 'int32' | 'int64';

const TYPES: Record<Numeric, { dataType: number; bytes: number; put: (v: DataView, i: number, x: number) => void }> = {
  float32: { dataType: DataType.FLOAT, bytes: 4, put: (v, i, x) => v.setFloat32(4 * i, x, true) },
  float16: { dataType: DataType.FLOAT16, bytes: 2, put: () => {} },
  int8: { dataType: DataType.INT8, bytes: 1, put: (v, i, x) => v.setInt8(i, x) },
  uint8: { dataType: DataType.UINT8, bytes: 1, put: (v, i, x) => v.setUint8(i, x) },
  int32: { dataType: DataType.INT32, bytes: 4, put: (v, i, x) => v.setInt32(4 * i, x, true) },
  int64: { dataType: DataType.INT64, bytes: 8, put: (v, i, x) => v.setBigInt64(8 * i, BigInt(x), true) },
};

/** A new TensorProto with little-endian raw_data. Values must already be in range for integer types. */
export function makeTensor(options: { name: string; dims: readonly number[]; dtype: Numeric; values: ArrayLike<number> }): TensorProtoMessage {
  const { name, dims, dtype, values } = options;
  const type = TYPES[dtype];
  let raw: Uint8Array;
  if (dtype === 'float16') {
    const bits = toFloat16(Float32Array.from(values));
    raw = new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength).slice();
  } else {
    raw = new Uint8Array(values.length * type.bytes);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < values.length; i++) type.put(view, i, values[i]!);
  }
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: type.dataType, rawData: raw });
}

/** Rewrites a float tensor's values in place (raw_data, the typed field cleared), keeping its name and dims. */
export function setFloatValues(t: TensorProto, values: Float32Array, dims: readonly number[] = tensorDims(t)): void {
  const fresh = makeTensor({ name: t.name ?? '', dims, dtype: 'float32', values });
  t.dims = fresh.dims;
  t.rawData = fresh.rawData;
  t.floatData = [];
  t.dataType = DataType.FLOAT;
}
