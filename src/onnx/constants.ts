import type { TensorProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { tensorDims, tensorToFloat32, tensorToInts } from '../formats/onnx/tensor.js';
import { getInt, getInts } from './attrs.js';
import type { GraphEditor } from './graph.js';

/**
 * A float constant behind a tensor name, looking through the constant Unsqueeze/Slice/Concat exporters put between a
 * weight and the node that reads it (PyTorch's LSTM export reorders the gates: `W = Unsqueeze(Concat(Slice(C), ...))`),
 * in this graph or an enclosing one.
 * The passes read the values and write a new, quantized tensor; what fed the old name is dropped when nothing
 * else reads it (see finishEditors).
 */
export interface FloatConstant {
  name: string;
  values: Float32Array;
  dims: number[];
  tensor: TensorProto;
  source: 'initializer' | 'constant';
  /**
   * The graph whose scope holds it (for one computed by Slice/Concat/Unsqueeze, the scope of its sources): quantized
   * copies go there, once, so every branch reading it shares them.
   */
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
  if (!owner || !p || (p.domain && p.domain !== 'ai.onnx')) return undefined;
  const ints = (i: number): number[] | undefined => {
    const a = p.input![i] ? owner.weight(p.input![i]!) : undefined;
    return a && (a.tensor.dataType === DataType.INT64 || a.tensor.dataType === DataType.INT32) ? tensorToInts(a.tensor) : undefined;
  };
  if (p.opType === 'Concat') {
    const parts = p.input!.map((i) => floatConstant(owner, i));
    if (parts.some((x) => !x) || !parts.length) return undefined;
    const rank = parts[0]!.dims.length;
    const axis = (getInts(p, 'axis')?.[0] ?? getInt(p, 'axis', 0) + rank) % rank;
    const outer = parts[0]!.dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const dims = [...parts[0]!.dims];
    dims[axis] = parts.reduce((a, x) => a + x!.dims[axis]!, 0);
    const values = new Float32Array(parts.reduce((a, x) => a + x!.values.length, 0));
    let at = 0;
    for (let o = 0; o < outer; o++) for (const x of parts) {
      const chunk = x!.values.length / outer;
      values.set(x!.values.subarray(o * chunk, (o + 1) * chunk), at);
      at += chunk;
    }
    // The quantized copy goes where its sources live (see FloatConstant.owner): two nested graphs that reorder one
    // outer weight the same way then share it.
    const same = parts.every((x) => x!.owner === parts[0]!.owner);
    return { ...parts[0]!, name, values, dims, owner: same ? parts[0]!.owner : owner };
  }
  if (p.opType === 'Slice') {
    const inner = floatConstant(owner, p.input![0] ?? '');
    const [starts, ends] = [ints(1), ints(2)];
    if (!inner || !starts || !ends) return undefined;
    const rank = inner.dims.length;
    const axes = (ints(3) ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
    const steps = ints(4) ?? starts.map(() => 1);
    if (steps.some((st) => st !== 1)) return undefined;
    const lo = inner.dims.map(() => 0);
    const hi = [...inner.dims];
    axes.forEach((a, i) => {
      const clamp = (v: number) => Math.max(0, Math.min(inner.dims[a]!, v < 0 ? v + inner.dims[a]! : v));
      lo[a] = clamp(starts[i]!); hi[a] = clamp(ends[i]!);
    });
    const dims = hi.map((h, i) => Math.max(0, h - lo[i]!));
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    const strides = inner.dims.map((_, i) => inner.dims.slice(i + 1).reduce((a, b) => a * b, 1));
    for (let k = 0; k < values.length; k++) {
      let rest = k; let src = 0;
      for (let d = rank - 1; d >= 0; d--) { const c = rest % dims[d]!; rest = Math.floor(rest / dims[d]!); src += (c + lo[d]!) * strides[d]!; }
      values[k] = inner.values[src]!;
    }
    return { ...inner, name, values, dims };
  }
  if (p.opType !== 'Unsqueeze') return undefined;
  const inner = floatConstant(owner, p.input![0] ?? '');
  if (!inner) return undefined;
  const axes = getInts(p, 'axes') ?? ints(1);
  if (!axes) return undefined;
  const rank = inner.dims.length + axes.length;
  const norm = axes.map((x) => (x < 0 ? x + rank : x));
  const dims: number[] = [];
  for (let i = 0, j = 0; i < rank; i++) dims.push(norm.includes(i) ? 1 : inner.dims[j++]!);
  return { ...inner, name, dims };
}

/** The editor of the graph (this one or an enclosing one) whose node produces `name`. */
function ownerOf(g: GraphEditor, name: string): GraphEditor | undefined {
  for (let e: GraphEditor | undefined = g; e; e = e.parent) {
    if (e.producer(name)) return e;
    if ((e.graph.input ?? []).some((v) => v.name === name)) return undefined;
  }
  return undefined;
}

/**
 * The initializers made from a constant, made once per constant and kind ('int8', 'lstm', ...) in the constant's own
 * scope: two If branches reading one float weight then read one quantized copy.
 */
export function sharedInitializers(c: FloatConstant, kind: string, make: (owner: GraphEditor) => string[]): string[] {
  // Keyed by content, not by the name read: PyTorch's LSTM export repeats the same Slice/Concat gate reordering of
  // one weight for every call of the module (Silero VAD v5's decoder runs its LSTM twice per branch), and one
  // quantized copy serves them all (the copies were a third of the dynamic file).
  const key = `${kind}\u0000${c.tensor.name}\u0000${c.dims.join('x')}\u0000${contentHash(c.values)}`;
  let names = c.owner.made.get(key);
  if (!names) { names = make(c.owner); c.owner.made.set(key, names); }
  return names;
}

/** Two 32-bit FNV-1a hashes (different offsets) over the float bits: equal keys mean equal values in practice. */
function contentHash(values: Float32Array): string {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let a = 0x811c9dc5; let b = 0x01000193 ^ values.length;
  for (let i = 0; i < words.length; i++) { a = Math.imul(a ^ words[i]!, 0x01000193); b = Math.imul(b ^ words[i]!, 0x5bd1e995) ^ (b >>> 15); }
  return `${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}
