import * as tf from '@tensorflow/tfjs';
import type { Dim, HostTensor, ValueInfo } from './types.js';

/**
 * Host tensors ↔ tfjs tensors, and tfjs input/output specs as ValueInfo, for the tfjs adapters' runners. tfjs has
 * no int64: int64 feeds are narrowed to int32 (what tfjs graph models declare for int64 inputs anyway).
 */
export function tfjsValueInfo(name: string, dtype: string | undefined, shape: readonly (number | null | undefined)[] | undefined): ValueInfo {
  return { name, dtype: dtype ?? 'float32', shape: (shape ?? []).map((d): Dim => (d === undefined || d === null || d < 0 ? null : d)) };
}

export function fromHost(t: HostTensor, dtype: string): tf.Tensor {
  const dims = [...t.dims];
  if (t.data instanceof BigInt64Array) return tf.tensor(Int32Array.from(t.data, Number), dims, 'int32');
  if (dtype === 'int32' || dtype === 'int64') return tf.tensor(t.data instanceof Int32Array ? t.data : Int32Array.from(t.data as ArrayLike<number>), dims, 'int32');
  if (dtype === 'bool') return tf.tensor(Uint8Array.from(t.data as ArrayLike<number>), dims, 'bool');
  return tf.tensor(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>), dims, 'float32');
}

/** A copy of a tensor's values on the host (float32 stays float32; int32 and bool become Int32Array / Uint8Array). */
export async function toHost(t: tf.Tensor): Promise<HostTensor> {
  const data = await t.data();
  const copy = data instanceof Float32Array ? data.slice() : data instanceof Int32Array ? data.slice()
    : data instanceof Uint8Array ? data.slice() : Float32Array.from(data as ArrayLike<number>);
  return { data: copy, dims: [...t.shape] };
}

/** A model's outputs as a list, whichever form tfjs returned them in (one tensor, an array, or a map by name). */
export function tensorList(out: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor[] {
  if (Array.isArray(out)) return out;
  if ((out as tf.Tensor).dataId !== undefined) return [out as tf.Tensor];
  return Object.values(out as tf.NamedTensorMap);
}
