import type { TensorProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { tensorDims, tensorToFloat32, tensorToInts } from '../formats/onnx/tensor.js';
import { getInts } from './attrs.js';
import type { GraphEditor } from './graph.js';

/**
 * A float constant behind a tensor name, looking through the Unsqueeze exporters put between a weight and the node
 * that reads it (PyTorch's LSTM export: `W = Unsqueeze(Constant, axes=[0])`), in this graph or an enclosing one.
 * The passes read the values and write a new, quantized tensor; what fed the old name is dropped when nothing
 * else reads it (see finishEditors).
 */
export interface FloatConstant {
  name: string;
  values: Float32Array;
  dims: number[];
  tensor: TensorProto;
  source: 'initializer' | 'constant';
  /** The graph whose scope holds it: quantized copies go there, once, so every branch reading it shares them. */
  owner: GraphEditor;
}

export function floatConstant(g: GraphEditor, name: string): FloatConstant | undefined {
  const w = g.weight(name);
  if (w) {
    if (w.tensor.dataType !== DataType.FLOAT) return undefined;
    let owner = g;
    while (owner.parent && owner.weight(name)?.outer) owner = owner.parent;
    return { name, values: tensorToFloat32(w.tensor), dims: tensorDims(w.tensor), tensor: w.tensor, source: w.source, owner };
  }
  const owner = ownerOf(g, name);
  const p = owner?.producer(name);
  if (!owner || !p || p.opType !== 'Unsqueeze' || (p.domain && p.domain !== 'ai.onnx')) return undefined;
  const inner = floatConstant(owner, p.input![0] ?? '');
  if (!inner) return undefined;
  let axes = getInts(p, 'axes');
  if (!axes && p.input![1]) {
    const a = owner.weight(p.input![1]);
    if (!a || (a.tensor.dataType !== DataType.INT64 && a.tensor.dataType !== DataType.INT32)) return undefined;
    axes = tensorToInts(a.tensor);
  }
  if (!axes) return undefined;
  const rank = inner.dims.length + axes.length;
  const norm = axes.map((x) => (x < 0 ? x + rank : x));
  const dims: number[] = [];
  for (let i = 0, j = 0; i < rank; i++) dims.push(norm.includes(i) ? 1 : inner.dims[j++]!);
  return { ...inner, name, dims, owner };
}

/**
 * The initializers made from a constant, made once per constant and kind ('int8', 'lstm', ...) in the constant's own
 * scope: two If branches reading one float weight then read one quantized copy.
 */
export function sharedInitializers(c: FloatConstant, kind: string, make: (owner: GraphEditor) => string[]): string[] {
  const key = `${kind}\u0000${c.name}`;
  let names = c.owner.made.get(key);
  if (!names) { names = make(c.owner); c.owner.made.set(key, names); }
  return names;
}

/** The editor of the graph (this one or an enclosing one) whose node produces `name`. */
function ownerOf(g: GraphEditor, name: string): GraphEditor | undefined {
  for (let e: GraphEditor | undefined = g; e; e = e.parent) {
    if (e.producer(name)) return e;
    if ((e.graph.input ?? []).some((v) => v.name === name)) return undefined;
  }
  return undefined;
}
