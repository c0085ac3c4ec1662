import type * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'node:fs';
import { ShrinkmlError } from '../core/errors.js';
import type { LoadedModel, LoadOptions, SaveOptions } from './types.js';

/**
 * A model format is an adapter in the flat list of ./index.ts. Adding a format = one file exporting a
 * FormatAdapter + one line in that list. Adapters must not depend on their position in the list: canRead answers
 * only for files that are clearly theirs.
 */
export interface FormatAdapter {
  name: string;
  /** Cheap sniff of a path; never throws (false for anything it cannot open). */
  canRead(path: string): Promise<boolean>;
  read(path: string, options?: LoadOptions): Promise<LoadedModel>;
  write?(model: tf.LayersModel, out: string, options?: SaveOptions): Promise<SaveResult>;
}

export interface SaveResult {
  /** Absolute path of the written model.json (or named .json file). */
  modelJsonPath: string;
  /** Absolute paths of the weight shards written. */
  weightFiles: string[];
  /** Bytes of weight data on disk (after any quantized encoding). */
  weightBytes: number;
}

/** Load `path` with the first adapter that recognises it. */
export async function loadWith(formats: readonly FormatAdapter[], path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  if (!(await fsp.stat(path).catch(() => null))) {
    throw new ShrinkmlError('NOT_FOUND', `${path}: no such file or folder`, { subject: path });
  }
  for (const format of formats) {
    if (await format.canRead(path)) return format.read(path, options);
  }
  throw new ShrinkmlError('UNSUPPORTED', `${path}: unrecognised model format (known: ${formats.map((f) => f.name).join(', ')})`, {
    subject: path, suggestion: 'pass a folder containing model.json, or the model\'s .json file',
  });
}
