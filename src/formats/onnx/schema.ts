import { DATA_TYPES, SCHEMA_IR_VERSION, WIRE_SCHEMA, type MessageName } from './generated/wire-schema.js';

/**
 * The ONNX schema shrinkml reads and writes: generated/onnx.proto (current ONNX, IR up to its Version.IR_VERSION)
 * compiled by scripts/gen-onnx-schema.mjs. protobufjs silently drops fields it does not know when it re-encodes,
 * so the wire check (./wire.ts) refuses any field missing from these tables rather than writing a quietly lossy
 * copy: every field a file holds is one that re-encoding keeps.
 */
export type { FieldKind, MessageName } from './generated/wire-schema.js';
export const SCHEMA = WIRE_SCHEMA;
/** Names the schema in lineage records (which onnx.proto encoded a file). */
export const ONNX_SCHEMA = `onnx.proto IR ${SCHEMA_IR_VERSION}`;

/** Fields holding a TensorProto.DataType: their values must be ones the accepted IR versions know. */
export const DATA_TYPE_FIELDS: Partial<Record<MessageName, number>> = {
  TensorProto: 2, TypeProtoTensor: 1, TypeProtoSparseTensor: 1, TypeProtoMap: 1,
};

/** The highest TensorProto.DataType in IR 10 (INT4); 23+ (FLOAT4E2M1, FLOAT8E8M0, 2-bit) came with IR 11-13. */
export const MAX_KNOWN_DATA_TYPE = DATA_TYPES.INT4!;

/** Names of the data types beyond MAX_KNOWN_DATA_TYPE, for error messages. */
export const NEWER_DATA_TYPES: Record<number, string> = Object.fromEntries(
  Object.entries(DATA_TYPES).filter(([, n]) => n > MAX_KNOWN_DATA_TYPE).map(([k, n]) => [n, k]));

/** TensorProto.DataType values and their element sizes in bytes (0: not a fixed-size type). */
export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
  FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22,
} as const;

export const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, n]) => [n, k]));

/** Bits per element as stored in raw_data (0: not a fixed-size type); 4-bit types pack two elements a byte. */
export const BITS_PER_ELEMENT: Record<number, number> = {
  1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 8: 0, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 14: 64, 15: 128, 16: 16,
  17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4,
};

/** The newest IR version shrinkml accepts (what current exporters write). */
export const MAX_IR_VERSION = 10;
/** The oldest IR version read (ONNX 1.0). IR 3 wants initializers listed as graph inputs; see ../../onnx/graph.ts. */
export const MIN_IR_VERSION = 3;
