import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../../core/errors.js';
import { attr } from '../attrs.js';
import type { GraphBuilder } from '../builder.js';

/**
 * State shared by the per-layer converters. tfjs tensors are channels-last; ONNX Conv and pooling want
 * channels-first. A Value remembers whether its ONNX tensor is stored transposed (NCHW) and converters ask for
 * the layout they need; transposes are created once per value and reused, and data leaves the graph in the tfjs
 * order, so Flatten → Dense sees the same element order as in tfjs.
 */
export interface Value {
  /** The ONNX tensor name. */
  name: string;
  /** The tfjs shape, batch first (null = any). */
  shape: (number | null)[];
  /** True when the ONNX tensor holds a rank-4 value as NCHW rather than the tfjs NHWC. */
  nchw: boolean;
}

export class ConvertContext {
  private readonly toNchw = new Map<string, string>();
  private readonly toNhwc = new Map<string, string>();

  constructor(readonly b: GraphBuilder, readonly modelName: string) {}

  /** The value's ONNX name in tfjs (channels-last) order. */
  tfOrder(v: Value): string {
    if (!v.nchw) return v.name;
    return cached(this.toNhwc, v.name, () => this.b.op('Transpose', [v.name], { name: `${v.name}_nhwc`, attrs: [attr.ints('perm', [0, 2, 3, 1])] }));
  }

  /** The value's ONNX name in NCHW order (rank 4 only). */
  channelsFirst(v: Value, layer: tf.layers.Layer): string {
    if (v.shape.length !== 4) throw this.unsupported(layer, `expects a rank-4 input, got shape [${v.shape.join(', ')}]`);
    if (v.nchw) return v.name;
    return cached(this.toNchw, v.name, () => this.b.op('Transpose', [v.name], { name: `${v.name}_nchw`, attrs: [attr.ints('perm', [0, 3, 1, 2])] }));
  }

  /** Float weights of a layer by their short name ('kernel', 'bias', 'gamma', ...), copied out of tfjs. */
  weight(layer: tf.layers.Layer, short: string): { values: Float32Array; shape: number[] } | undefined {
    const w = layer.weights.find((x) => x.originalName.split('/').pop() === short);
    if (!w) return undefined;
    return { values: Float32Array.from(w.read().dataSync() as Float32Array), shape: [...w.shape] as number[] };
  }

  requireWeight(layer: tf.layers.Layer, short: string): { values: Float32Array; shape: number[] } {
    const w = this.weight(layer, short);
    if (!w) throw this.unsupported(layer, `has no '${short}' weight`);
    return w;
  }

  unsupported(layer: tf.layers.Layer, what: string): ShrinkmlError {
    return new ShrinkmlError('UNSUPPORTED', `${this.modelName}: layer '${layer.name}' (${layer.getClassName()}) ${what}`, {
      subject: layer.name, suggestion: 'see `shrinkml convert --help` for the layers the ONNX exporter supports',
    });
  }
}

function cached(map: Map<string, string>, key: string, make: () => string): string {
  let name = map.get(key);
  if (!name) { name = make(); map.set(key, name); }
  return name;
}

/** Layer config values, typed loosely: tfjs's getConfig() returns a plain serializable dictionary. */
export type LayerConfig = Record<string, unknown>;

export const config = (layer: tf.layers.Layer): LayerConfig => layer.getConfig() as LayerConfig;

export function pair(x: unknown, fallback: number): [number, number] {
  if (x == null) return [fallback, fallback];
  if (typeof x === 'number') return [x, x];
  const a = x as number[];
  return [a[0]!, a[1] ?? a[0]!];
}

/** Explicit ONNX pads [top, left, bottom, right] for TF 'same'/'valid' padding on a known input size. */
export function padsFor(options: { padding: string; size: [number, number]; kernel: [number, number]; strides: [number, number]; dilation?: [number, number] }): number[] {
  if (options.padding !== 'same') return [0, 0, 0, 0];
  const total = [0, 1].map((i) => {
    const k = (options.kernel[i]! - 1) * (options.dilation?.[i] ?? 1) + 1;
    const out = Math.ceil(options.size[i]! / options.strides[i]!);
    return Math.max((out - 1) * options.strides[i]! + k - options.size[i]!, 0);
  });
  // TF puts the odd pixel at the end (bottom/right), like ONNX SAME_UPPER.
  return [Math.floor(total[0]! / 2), Math.floor(total[1]! / 2), total[0]! - Math.floor(total[0]! / 2), total[1]! - Math.floor(total[1]! / 2)];
}

/** Output shape of the layer as tfjs infers it (batch first). */
export function outputShape(layer: tf.layers.Layer): (number | null)[] {
  const s = layer.outputShape as (number | null)[] | (number | null)[][];
  return (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
}

/** How a converter turns one tfjs layer (already given its inputs) into ONNX nodes. */
export interface LayerConverter {
  classNames: readonly string[];
  convert(ctx: ConvertContext, layer: tf.layers.Layer, inputs: Value[]): Value;
}
