import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { elementCount, type ManifestEntry } from './manifest.js';
import { decodeGraphWeights } from './graph/weights.js';

/**
 * LayersModel weights stored as integer codes with their scales (weights:int8 per channel, weights:int4 in blocks;
 * layouts in docs/graph-models.md): `<name>/shrinkml_q` (codes in a uint8 entry, tf.io decodes them to integers),
 * `<name>/shrinkml_scale` (broadcast over the codes), and for blocks `<name>/shrinkml_shape` (the weight's shape).
 * A Layers model has no place for the Mul a graph model gets, so these load through shrinkml's loader or
 * `withWeightCodeDecoding` (shrinkml/runtime); stock tfjs refuses them (the weight's own name is missing) rather
 * than load integers as weights.
 */
export const CODES_SUFFIX = '/shrinkml_q';
export const SCALES_SUFFIX = '/shrinkml_scale';
export const SHAPE_SUFFIX = '/shrinkml_shape';

export function hasWeightCodes(specs: readonly ManifestEntry[]): boolean {
  return specs.some((s) => s.name.endsWith(CODES_SUFFIX));
}

/** a · b with numpy broadcasting of `b` (same rank, each dim equal or 1) onto `a`'s shape. */
function broadcastMul(a: Float32Array, shape: number[], b: Float32Array, bShape: number[], name: string): Float32Array {
  if (bShape.length !== shape.length || bShape.some((d, i) => d !== 1 && d !== shape[i])) {
    throw new ShrinkmlError('BAD_INPUT', `weight '${name}': scales [${bShape}] do not broadcast onto codes [${shape}]`, { subject: name });
  }
  const out = new Float32Array(a.length);
  const strides = shape.map((_, i) => elementCount(shape.slice(i + 1)));
  const bStrides = bShape.map((_, i) => elementCount(bShape.slice(i + 1)));
  for (let i = 0; i < a.length; i++) {
    let j = 0;
    for (let k = 0; k < shape.length; k++) if (bShape[k] !== 1) j += (Math.floor(i / strides[k]!) % shape[k]!) * bStrides[k]!;
    out[i] = Math.fround(a[i]! * b[j]!);
  }
  return out;
}

/** Artifacts with every coded weight turned back into its float32 entry; others pass through unchanged. */
export function decodeWeightCodes(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const specs = artifacts.weightSpecs ?? [];
  if (!hasWeightCodes(specs) || !artifacts.weightData) return artifacts;
  const weights = decodeGraphWeights(specs, tf.io.concatenateArrayBuffers(artifacts.weightData), 'weights');
  const byName = new Map(weights.map((w) => [w.name, w]));
  const entries: ManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const w of weights) {
    if (w.name.endsWith(SCALES_SUFFIX) || w.name.endsWith(SHAPE_SUFFIX)) continue;
    if (!w.name.endsWith(CODES_SUFFIX)) { entries.push(w.entry); parts.push(w.raw); continue; }
    const name = w.name.slice(0, -CODES_SUFFIX.length);
    const scales = byName.get(name + SCALES_SUFFIX);
    if (!scales || !(scales.values instanceof Float32Array) || !(w.values instanceof Float32Array)) {
      throw new ShrinkmlError('BAD_INPUT', `coded weight '${name}': no ${name}${SCALES_SUFFIX} entry`, { subject: name });
    }
    const shapeEntry = byName.get(name + SHAPE_SUFFIX);
    const shape = shapeEntry?.values ? Array.from(shapeEntry.values) : w.shape;
    if (elementCount(shape) !== elementCount(w.shape)) throw new ShrinkmlError('BAD_INPUT', `coded weight '${name}': shape [${shape}] does not match its codes`, { subject: name });
    const values = broadcastMul(w.values, w.shape, scales.values, scales.shape, name);
    entries.push({ name, shape, dtype: 'float32' });
    parts.push(new Uint8Array(values.buffer));
  }
  const data = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.byteLength; }
  return { ...artifacts, weightSpecs: entries, weightData: data.buffer };
}

/** `tf.loadLayersModel(withWeightCodeDecoding(tf.io.http(url)))` loads weights:int8/int4 LayersModels. */
export function withWeightCodeDecoding(handler: tf.io.IOHandler): tf.io.IOHandler {
  if (!handler.load) throw new ShrinkmlError('BAD_INPUT', 'withWeightCodeDecoding: the handler cannot load');
  const load = handler.load.bind(handler);
  return { load: async () => decodeWeightCodes(await load()) };
}
