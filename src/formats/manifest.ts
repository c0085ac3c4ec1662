import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';

/**
 * Pure parsing of a TensorFlow.js model.json: structure, weight manifest, weight byte layout. No fs/path here so the
 * same checks run in a browser bundle.
 */
export type ManifestEntry = tf.io.WeightsManifestEntry;
export interface ManifestGroup { paths: string[]; weights: ManifestEntry[] }

export interface ModelJson {
  modelTopology: Record<string, unknown>;
  weightsManifest: ManifestGroup[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  [key: string]: unknown;
}

/** Bytes per stored value, as in tfjs-core's DTYPE_VALUE_SIZE_MAP. Strings have no fixed size. */
export const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
export const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };
const DTYPES = new Set(['float32', 'int32', 'bool', 'string', 'complex64']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Bytes one entry occupies in the weight data; null for string tensors (length-prefixed, known only from the data). */
export function entryByteLength(entry: ManifestEntry): number | null {
  if (entry.quantization) return elementCount(entry.shape) * QUANTIZED_BYTES[entry.quantization.dtype];
  if (entry.dtype === 'string') return null;
  return elementCount(entry.shape) * DTYPE_BYTES[entry.dtype];
}

/** 'graph' for converter output (GraphDef nodes), 'layers' for everything else that looks like a model.json. */
export function classifyModelJson(json: unknown): 'layers' | 'graph' {
  if (!isObject(json)) return 'layers';
  const topology = json.modelTopology;
  if (json.format === 'graph-model' || (isObject(topology) && Array.isArray(topology.node))) return 'graph';
  return 'layers';
}

/** Parse and structurally validate model.json text; `file` names the descriptor in errors. */
export function parseModelJson(text: string, file: string): ModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ShrinkmlError('BAD_INPUT', `${file}: malformed JSON (${(e as Error).message})`, { subject: file, cause: e });
  }
  if (!isObject(json)) throw bad(file, 'is not a JSON object');
  if (!isObject(json.modelTopology)) throw bad(file, 'missing modelTopology', 'is this a TensorFlow.js model.json?');
  if (!Array.isArray(json.weightsManifest)) throw bad(file, 'missing weightsManifest', 'is this a TensorFlow.js model.json?');
  const names = new Set<string>();
  json.weightsManifest.forEach((group: unknown, g: number) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw bad(file, `weightsManifest[${g}] needs 'paths' and 'weights' arrays`);
    }
    if (group.paths.length === 0 && group.weights.length > 0) throw bad(file, `weightsManifest[${g}] has weights but no paths`);
    for (const p of group.paths) checkWeightPath(p, file);
    for (const entry of group.weights) checkEntry(entry, file, names);
  });
  return json as ModelJson;
}

/**
 * Weight paths are relative to model.json's folder and must stay inside it: a manifest is untrusted input and
 * `../../etc/passwd` or an absolute path would read (and a later save could clobber) files elsewhere.
 */
export function checkWeightPath(p: unknown, file: string): void {
  if (typeof p !== 'string' || p.length === 0) throw bad(file, `weight path ${JSON.stringify(p)} is not a file name`);
  const escapes = p.startsWith('/') || p.startsWith('\\') || /^[a-zA-Z]:/.test(p) || /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(p) ||
    p.split(/[\\/]/).includes('..') || p.includes('\0');
  if (escapes) {
    throw new ShrinkmlError('BAD_INPUT', `${file}: weight path '${p}' leaves the model's folder`, {
      subject: file, suggestion: 'weight paths must be relative file names inside the folder of model.json',
    });
  }
}

function checkEntry(entry: unknown, file: string, names: Set<string>): void {
  if (!isObject(entry) || typeof entry.name !== 'string') throw bad(file, 'a weight entry has no name');
  const name = entry.name;
  if (names.has(name)) throw bad(file, `weight '${name}' is listed twice`);
  names.add(name);
  const shape = entry.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(file, `weight '${name}' has an invalid shape ${JSON.stringify(shape)}`);
  }
  if (typeof entry.dtype !== 'string' || !DTYPES.has(entry.dtype)) {
    throw new ShrinkmlError('UNSUPPORTED', `${file}: weight '${name}' has unsupported dtype ${JSON.stringify(entry.dtype)}`, { subject: file });
  }
  const q = entry.quantization;
  if (q === undefined) return;
  if (!isObject(q) || typeof q.dtype !== 'string' || !(q.dtype in QUANTIZED_BYTES)) {
    throw new ShrinkmlError('UNSUPPORTED', `${file}: weight '${name}' has unsupported quantization ${JSON.stringify(q)}`, { subject: file });
  }
  if (q.dtype === 'float16' && entry.dtype !== 'float32') throw bad(file, `weight '${name}': float16 storage needs dtype float32`);
  if (q.dtype !== 'float16') {
    if (entry.dtype !== 'float32' && entry.dtype !== 'int32') throw bad(file, `weight '${name}': ${q.dtype} quantization needs dtype float32 or int32`);
    if (!Number.isFinite(q.scale) || !Number.isFinite(q.min)) throw bad(file, `weight '${name}': ${q.dtype} quantization needs finite 'scale' and 'min'`);
  }
}

export interface WeightRange { entry: ManifestEntry; start: number; end: number }

/**
 * Where each entry lies in the concatenated weight data (tfjs decodes entries back to back in manifest order).
 * Throws when the data is shorter than the entries need; string lengths are read from the data.
 */
export function weightRanges(entries: readonly ManifestEntry[], data: ArrayBuffer | null, file: string): WeightRange[] {
  const ranges: WeightRange[] = [];
  const view = data ? new DataView(data) : null;
  let offset = 0;
  for (const entry of entries) {
    let size = entryByteLength(entry);
    if (size === null) {
      if (!view) throw bad(file, `weight '${entry.name}': string sizes need the weight data`);
      let end = offset;
      for (let i = 0, n = elementCount(entry.shape); i < n; i++) {
        if (end + 4 > view.byteLength) break;
        end += 4 + view.getUint32(end, true);
      }
      size = end - offset;
    }
    ranges.push({ entry, start: offset, end: offset + size });
    offset += size;
  }
  return ranges;
}

function bad(file: string, problem: string, suggestion?: string): ShrinkmlError {
  return new ShrinkmlError('BAD_INPUT', `${file}: ${problem}`, { subject: file, suggestion });
}
