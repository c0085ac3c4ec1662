import { onnx as generated } from './generated/onnx-pb.js';
import type { onnx as O } from './generated/onnx-types.js';

/**
 * The protobufjs classes of the current onnx.proto (see ./schema.ts), typed by their pbts declarations. Other
 * modules import the value `onnx` and the type aliases below from here, never from ./generated.
 */
export const onnx: typeof O = generated;

export type ModelProto = O.ModelProto;
export type IModelProto = O.IModelProto;
export type TensorProtoMessage = O.TensorProto;
export type GraphProto = O.IGraphProto;
export type NodeProto = O.INodeProto;
export type AttributeProto = O.IAttributeProto;
export type TensorProto = O.ITensorProto;
export type ValueInfoProto = O.IValueInfoProto;

/** protobufjs decodes int64 as a Long when the `long` package is present, as a number otherwise. */
export interface LongLike { low: number; high: number; unsigned?: boolean; toNumber(): number }

/** An int64 field as a number; throws a RangeError beyond ±2^53 (callers turn it into a named error). */
export function toNumber(x: number | LongLike | null | undefined): number {
  if (x == null) return 0;
  if (typeof x === 'number') return x;
  const n = x.toNumber();
  if (!Number.isSafeInteger(n)) throw new RangeError(`int64 value out of the safe integer range`);
  return n;
}
