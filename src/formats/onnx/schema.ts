/**
 * The subset of onnx.proto that onnx-proto 8.0.1 (ONNX 1.10.2, IR 8) decodes, as field tables for the wire check in
 * ./wire.ts. protobufjs silently drops fields it does not know when it re-encodes, so any field missing from this
 * table (IR 9/10 additions such as metadata_props or FunctionProto.attribute_proto) makes a model unreadable rather
 * than quietly lossy. Generated from the decode functions of node_modules/onnx-proto/dist/onnx.js.
 */

/** A field is either a scalar/string/bytes ('v') or a nested message (its table name). */
export type FieldKind = 'v' | MessageName;

export type MessageName =
  | 'ModelProto' | 'GraphProto' | 'NodeProto' | 'AttributeProto' | 'TensorProto' | 'Segment' | 'SparseTensorProto'
  | 'ValueInfoProto' | 'TypeProto' | 'TypeTensor' | 'TypeSequence' | 'TypeMap' | 'TypeOptional' | 'TypeSparseTensor'
  | 'TensorShapeProto' | 'Dimension' | 'OperatorSetIdProto' | 'StringStringEntryProto' | 'TensorAnnotation'
  | 'TrainingInfoProto' | 'FunctionProto';

const v = 'v' as const;

export const SCHEMA: Record<MessageName, Record<number, FieldKind>> = {
  ModelProto: { 1: v, 2: v, 3: v, 4: v, 5: v, 6: v, 7: 'GraphProto', 8: 'OperatorSetIdProto', 14: 'StringStringEntryProto', 20: 'TrainingInfoProto', 25: 'FunctionProto' },
  GraphProto: { 1: 'NodeProto', 2: v, 5: 'TensorProto', 10: v, 11: 'ValueInfoProto', 12: 'ValueInfoProto', 13: 'ValueInfoProto', 14: 'TensorAnnotation', 15: 'SparseTensorProto' },
  NodeProto: { 1: v, 2: v, 3: v, 4: v, 5: 'AttributeProto', 6: v, 7: v },
  AttributeProto: {
    1: v, 2: v, 3: v, 4: v, 5: 'TensorProto', 6: 'GraphProto', 7: v, 8: v, 9: v, 10: 'TensorProto', 11: 'GraphProto',
    13: v, 14: 'TypeProto', 15: 'TypeProto', 20: v, 21: v, 22: 'SparseTensorProto', 23: 'SparseTensorProto',
  },
  TensorProto: { 1: v, 2: v, 3: 'Segment', 4: v, 5: v, 6: v, 7: v, 8: v, 9: v, 10: v, 11: v, 12: v, 13: 'StringStringEntryProto', 14: v },
  Segment: { 1: v, 2: v },
  SparseTensorProto: { 1: 'TensorProto', 2: 'TensorProto', 3: v },
  ValueInfoProto: { 1: v, 2: 'TypeProto', 3: v },
  TypeProto: { 1: 'TypeTensor', 4: 'TypeSequence', 5: 'TypeMap', 6: v, 8: 'TypeSparseTensor', 9: 'TypeOptional' },
  TypeTensor: { 1: v, 2: 'TensorShapeProto' },
  TypeSequence: { 1: 'TypeProto' },
  TypeMap: { 1: v, 2: 'TypeProto' },
  TypeOptional: { 1: 'TypeProto' },
  TypeSparseTensor: { 1: v, 2: 'TensorShapeProto' },
  TensorShapeProto: { 1: 'Dimension' },
  Dimension: { 1: v, 2: v, 3: v },
  OperatorSetIdProto: { 1: v, 2: v },
  StringStringEntryProto: { 1: v, 2: v },
  TensorAnnotation: { 1: v, 2: 'StringStringEntryProto' },
  TrainingInfoProto: { 1: 'GraphProto', 2: 'GraphProto', 3: 'StringStringEntryProto', 4: 'StringStringEntryProto' },
  FunctionProto: { 1: v, 4: v, 5: v, 6: v, 7: 'NodeProto', 8: v, 9: 'OperatorSetIdProto', 10: v },
};

/** Fields holding a TensorProto.DataType: their values must be ones IR 8 knows (FLOAT8 and INT4 came later). */
export const DATA_TYPE_FIELDS: Partial<Record<MessageName, number>> = {
  TensorProto: 2, TypeTensor: 1, TypeSparseTensor: 1, TypeMap: 1,
};

/** The highest TensorProto.DataType in IR 8 (BFLOAT16); 17-20 are FLOAT8 (IR 9), 21-22 INT4/UINT4 (IR 10). */
export const MAX_KNOWN_DATA_TYPE = 16;

/** Names of the data types IR 8 does not know, for error messages. */
export const NEWER_DATA_TYPES: Record<number, string> = {
  17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
};

/** TensorProto.DataType values and their element sizes in bytes (0: not a fixed-size type). */
export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

export const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, n]) => [n, k]));

export const BYTES_PER_ELEMENT: Record<number, number> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 8: 0, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
};

/** The newest IR version shrinkml accepts; 9 and 10 only when the wire check finds nothing IR 8 cannot hold. */
export const MAX_IR_VERSION = 10;
/** The oldest IR version read (ONNX 1.0). IR 3 wants initializers listed as graph inputs; see ../../onnx/graph.ts. */
export const MIN_IR_VERSION = 3;
