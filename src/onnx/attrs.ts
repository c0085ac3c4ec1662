import { onnx, toNumber, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from '../formats/onnx/proto.js';

/** Typed constructors and readers for NodeProto attributes (AttributeProto needs its `type` set explicitly). */
const T = onnx.AttributeProto.AttributeType;

export const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: T.INT, i }),
  float: (name: string, f: number): AttributeProto => ({ name, type: T.FLOAT, f }),
  ints: (name: string, ints: readonly number[]): AttributeProto => ({ name, type: T.INTS, ints: [...ints] }),
  floats: (name: string, floats: readonly number[]): AttributeProto => ({ name, type: T.FLOATS, floats: [...floats] }),
  string: (name: string, s: string): AttributeProto => ({ name, type: T.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: TensorProto): AttributeProto => ({ name, type: T.TENSOR, t }),
  graph: (name: string, g: GraphProto): AttributeProto => ({ name, type: T.GRAPH, g }),
};

function find(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function getInt(node: NodeProto, name: string, fallback: number): number {
  const a = find(node, name);
  return a?.i == null ? fallback : toNumber(a.i);
}

export function getFloat(node: NodeProto, name: string, fallback: number): number {
  const a = find(node, name);
  return a?.f == null || a.type !== T.FLOAT ? fallback : a.f;
}

export function getInts(node: NodeProto, name: string): number[] | undefined {
  const a = find(node, name);
  return a && a.type === T.INTS ? (a.ints ?? []).map((x) => toNumber(x)) : undefined;
}

export function getString(node: NodeProto, name: string): string | undefined {
  const a = find(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : undefined;
}

export function hasAttr(node: NodeProto, name: string): boolean {
  return find(node, name) !== undefined;
}
