import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';

/**
 * The only file-system code on the loading path (Node-only). Everything that judges the bytes lives in the pure
 * modules (manifest.ts, validate.ts) so a browser build can reuse it with fetch().
 */

/** Above this a model.json is not a model description but a mistake (or an attack); real ones are KBs to a few MBs. */
export const MAX_DESCRIPTOR_BYTES = 256 * 2 ** 20;

export interface Descriptor {
  /** The path the user gave. */
  source: string;
  /** Absolute path of model.json (or the named .json file). */
  descriptorPath: string;
  /** Absolute folder weight paths are relative to. */
  dir: string;
  /** Whether the user named a folder (then the whole folder is the model). */
  isFolder: boolean;
}

/** A folder holding model.json, or any `.json` file. Null when the path exists but is neither. */
export async function findDescriptor(source: string): Promise<Descriptor | null> {
  const abs = path.resolve(source);
  const stat = await fsp.stat(abs).catch(() => null);
  if (!stat) {
    throw new ShrinkmlError('NOT_FOUND', `${source}: no such file or folder`, { subject: source });
  }
  if (stat.isDirectory()) {
    const descriptorPath = path.join(abs, 'model.json');
    const found = await fsp.stat(descriptorPath).then((s) => s.isFile(), () => false);
    return found ? { source, descriptorPath, dir: abs, isFolder: true } : null;
  }
  if (stat.isFile() && abs.toLowerCase().endsWith('.json')) {
    return { source, descriptorPath: abs, dir: path.dirname(abs), isFolder: false };
  }
  return null;
}

export async function readDescriptorText(descriptorPath: string): Promise<string> {
  const { size } = await fsp.stat(descriptorPath);
  if (size > MAX_DESCRIPTOR_BYTES) {
    throw new ShrinkmlError('LIMIT', `${descriptorPath}: ${size} bytes, over the ${MAX_DESCRIPTOR_BYTES}-byte limit for a model.json`, {
      subject: descriptorPath,
    });
  }
  return fsp.readFile(descriptorPath, 'utf8');
}

/** Absolute shard path; the manifest check already refused `..` and absolute paths, this is defence in depth. */
export function shardPath(dir: string, relative: string, descriptorPath: string): string {
  const full = path.resolve(dir, relative);
  if (!full.startsWith(dir + path.sep)) {
    throw new ShrinkmlError('BAD_INPUT', `${descriptorPath}: weight path '${relative}' leaves the model's folder`, { subject: descriptorPath });
  }
  return full;
}

/** Sizes of the shard files, failing with the missing shard's name. */
export async function shardSizes(files: readonly string[], descriptorPath: string): Promise<number[]> {
  return Promise.all(files.map(async (file) => {
    const stat = await fsp.stat(file).catch(() => null);
    if (!stat || !stat.isFile()) {
      throw new ShrinkmlError('NOT_FOUND', `${descriptorPath}: weight shard ${path.basename(file)} is missing (${file})`, {
        subject: file, suggestion: 'copy every .bin file listed in the weightsManifest next to model.json',
      });
    }
    return stat.size;
  }));
}

/** Read shards back to back into one buffer of the (already checked) total size. */
export async function readShards(files: readonly string[], sizes: readonly number[]): Promise<ArrayBuffer> {
  const total = sizes.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < files.length; i++) {
    const handle = await fsp.open(files[i], 'r');
    try {
      // A file that shrank since stat() would silently shift the weights; read exactly what was measured.
      let done = 0;
      while (done < sizes[i]) {
        const { bytesRead } = await handle.read(out, at + done, sizes[i] - done, done);
        if (bytesRead === 0) {
          throw new ShrinkmlError('BAD_INPUT', `${files[i]}: read ${done} bytes, expected ${sizes[i]} (file changed while loading?)`, { subject: files[i] });
        }
        done += bytesRead;
      }
    } finally {
      await handle.close();
    }
    at += sizes[i];
  }
  return out.buffer;
}
