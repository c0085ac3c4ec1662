import * as tf from '@tensorflow/tfjs';
import { readValues } from '../core/read.js';
import { ShrinkmlError } from '../core/errors.js';
import { packBits, packSparse, unpackBits, unpackSparse, type IndexEncoding } from './pack.js';
import { expandClustered, type ClusteredWeight } from './share.js';

/**
 * The clustered storage format, version 1 (browser-safe). A clustered weight `W` is stored as two manifest
 * entries in place of `W`:
 *   `W/codebook`  float32 [k]      the shared values
 *   `W/indices`   int32 [words]    a byte stream: header, then the index stream (./pack.ts), zero-padded to 4 bytes
 * Header: 'SMLC', version (1 byte), encoding (0 dense, 1 sparse), bits, rank, then rank uint32 dims (LE).
 * The streams describe themselves, so decoding needs nothing but the weights: it works behind any tfjs IOHandler
 * (http, browser files, memory), which keep only the standard model.json fields. Stock tfjs refuses such a model
 * with "no target variable: W/codebook", never misreads it.
 */
export const CLUSTER_FORMAT_VERSION = 1;
export const CODEBOOK_SUFFIX = '/codebook';
export const INDICES_SUFFIX = '/indices';
const MAGIC = [0x53, 0x4d, 0x4c, 0x43]; // 'SMLC'

/** Sparse streams pay off once most indices are the pinned zero. */
export function chooseEncoding(w: ClusteredWeight): IndexEncoding {
  if (!w.zeroCode) return 'dense';
  let zeros = 0;
  for (const i of w.indices) if (i === 0) zeros++;
  return zeros >= w.indices.length / 2 ? 'sparse' : 'dense';
}

export function encodeIndexStream(w: ClusteredWeight, encoding: IndexEncoding = chooseEncoding(w)): Uint8Array {
  const payload = encoding === 'sparse' ? packSparse(w.indices) : packBits(w.indices, w.bits);
  const headerBytes = 8 + 4 * w.shape.length;
  const out = new Uint8Array(Math.ceil((headerBytes + payload.length) / 4) * 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = CLUSTER_FORMAT_VERSION;
  out[5] = encoding === 'sparse' ? 1 : 0;
  out[6] = w.bits;
  out[7] = w.shape.length;
  w.shape.forEach((d, i) => view.setUint32(8 + 4 * i, d, true));
  out.set(payload, headerBytes);
  return out;
}

export function decodeIndexStream(bytes: Uint8Array, name: string): { shape: number[]; indices: Uint8Array; encoding: IndexEncoding; bits: number } {
  const bad = (why: string) => new ShrinkmlError('BAD_INPUT', `clustered weight '${name}': ${why}`, { subject: name });
  if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) throw bad('index stream has no SMLC header');
  if (bytes[4] !== CLUSTER_FORMAT_VERSION) throw bad(`format version ${bytes[4]} is not supported (this shrinkml reads ${CLUSTER_FORMAT_VERSION})`);
  const rank = bytes[7]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 + 4 * rank) throw bad('header is truncated');
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(8 + 4 * i, true));
  const count = shape.reduce((a, b) => a * b, 1);
  const payload = bytes.subarray(8 + 4 * rank);
  const encoding: IndexEncoding = bytes[5] === 1 ? 'sparse' : 'dense';
  const bits = bytes[6]!;
  if (bits < 1 || bits > 8) throw bad(`${bits} bits per index`);
  const indices = encoding === 'sparse' ? unpackSparse(payload, count) : unpackBits(payload, bits, count);
  return { shape, indices, encoding, bits };
}

type Entry = tf.io.WeightsManifestEntry;
type NamedTensor = { name: string; tensor: tf.Tensor };

/** Replaces each clustered weight's float32 entry with its codebook and index stream. */
export async function encodeClusteredWeights(options: {
  specs: Entry[]; data: ArrayBuffer; clusters: Record<string, ClusteredWeight>;
}): Promise<{ specs: Entry[]; data: ArrayBuffer }> {
  const tensors = tf.io.decodeWeights(options.data, options.specs);
  const named: NamedTensor[] = [];
  const created: tf.Tensor[] = [];
  try {
    for (const spec of options.specs) {
      const w = options.clusters[spec.name];
      if (!w) {
        named.push({ name: spec.name, tensor: tensors[spec.name]! });
        continue;
      }
      const stream = encodeIndexStream(w);
      const codebook = tf.tensor1d(w.codebook, 'float32');
      const indices = tf.tensor1d(new Int32Array(stream.buffer), 'int32');
      created.push(codebook, indices);
      named.push({ name: spec.name + CODEBOOK_SUFFIX, tensor: codebook }, { name: spec.name + INDICES_SUFFIX, tensor: indices });
    }
    const missing = Object.keys(options.clusters).filter((n) => !options.specs.some((s) => s.name === n));
    if (missing.length) {
      throw new ShrinkmlError('INTERNAL', `clustered weights ${missing.join(', ')} are not in the model's weights manifest`, { subject: missing[0] });
    }
    const encoded = await tf.io.encodeWeights(named);
    return { specs: encoded.specs, data: encoded.data };
  } finally {
    tf.dispose(Object.values(tensors));
    tf.dispose(created);
  }
}

/** True when the manifest holds clustered weights. */
export function hasClusteredWeights(specs: readonly Entry[]): boolean {
  const names = new Set(specs.map((s) => s.name));
  return specs.some((s) => s.name.endsWith(INDICES_SUFFIX) && names.has(s.name.slice(0, -INDICES_SUFFIX.length) + CODEBOOK_SUFFIX));
}

/**
 * Artifacts with every clustered weight expanded back to a dense float32 entry, ready for tf.loadLayersModel.
 * Artifacts without clustered weights come back unchanged.
 */
export async function decodeClusteredArtifacts(artifacts: tf.io.ModelArtifacts): Promise<tf.io.ModelArtifacts> {
  const specs = artifacts.weightSpecs ?? [];
  if (!hasClusteredWeights(specs) || !artifacts.weightData) return artifacts;
  const data = tf.io.concatenateArrayBuffers(artifacts.weightData);
  const tensors = tf.io.decodeWeights(data, specs);
  const named: NamedTensor[] = [];
  const created: tf.Tensor[] = [];
  try {
    for (const spec of specs) {
      if (spec.name.endsWith(CODEBOOK_SUFFIX)) continue;
      if (!spec.name.endsWith(INDICES_SUFFIX)) {
        named.push({ name: spec.name, tensor: tensors[spec.name]! });
        continue;
      }
      const name = spec.name.slice(0, -INDICES_SUFFIX.length);
      const codebookTensor = tensors[name + CODEBOOK_SUFFIX];
      if (!codebookTensor) throw new ShrinkmlError('BAD_INPUT', `clustered weight '${name}': no ${name}${CODEBOOK_SUFFIX} entry`, { subject: name });
      const words = await readValues<'int32'>(tensors[spec.name]!);
      const { shape, indices } = decodeIndexStream(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), name);
      const codebook = await readValues(codebookTensor);
      let max = 0;
      for (const i of indices) if (i > max) max = i;
      if (max >= codebook.length) {
        throw new ShrinkmlError('BAD_INPUT', `clustered weight '${name}': index ${max} is outside its ${codebook.length}-entry codebook`, { subject: name });
      }
      const tensor = tf.tensor(expandClustered({ codebook, indices }), shape, 'float32');
      created.push(tensor);
      named.push({ name, tensor });
    }
    const encoded = await tf.io.encodeWeights(named);
    return { ...artifacts, weightSpecs: encoded.specs, weightData: encoded.data };
  } finally {
    tf.dispose(Object.values(tensors));
    tf.dispose(created);
  }
}

/** Wraps any tfjs IOHandler so `tf.loadLayersModel(withClusterDecoding(tf.io.http(url)))` loads clustered models. */
export function withClusterDecoding(handler: tf.io.IOHandler): tf.io.IOHandler {
  if (!handler.load) throw new ShrinkmlError('BAD_INPUT', 'withClusterDecoding: the handler cannot load');
  const load = handler.load.bind(handler);
  return { load: async () => decodeClusteredArtifacts(await load()) };
}
