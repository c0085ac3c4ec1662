import { ShrinkmlError } from '../core/errors.js';
import type { LoadedModel } from '../formats/types.js';

/** One file's contribution to the model's download size. */
export interface FileSize {
  path: string;
  bytes: number;
  /** Bytes after gzip at level 9, what a web server with compression sends. */
  gzipBytes: number;
}

export interface SizeResult {
  /** Raw bytes of model.json plus every weight file it lists. */
  bytes: number;
  /** Sum of each file gzipped separately (servers compress per response, not per folder). */
  gzipBytes: number;
  files: FileSize[];
}

export interface NamedBytes {
  path: string;
  data: Uint8Array;
}

type Gzip = (data: Uint8Array) => Promise<number>;
let gzipImpl: Gzip | undefined;

/**
 * zlib is loaded lazily so importing this module does not break a browser bundle; there the standard
 * CompressionStream is used, whose level cannot be set (browsers use zlib's default, so sizes read slightly larger).
 */
async function gzipLength(data: Uint8Array): Promise<number> {
  if (!gzipImpl) {
    const isNode = typeof process !== 'undefined' && !!process.versions?.node;
    if (isNode) {
      const zlib = await import('node:zlib');
      gzipImpl = async (d) => zlib.gzipSync(d, { level: 9 }).length;
    } else if (typeof CompressionStream !== 'undefined') {
      gzipImpl = async (d) => {
        const stream = new Blob([d as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
        return (await new Response(stream).arrayBuffer()).byteLength;
      };
    } else {
      throw new ShrinkmlError('UNSUPPORTED', 'gzip size: neither node:zlib nor CompressionStream is available');
    }
  }
  return gzipImpl(data);
}

/** Size of in-memory files (no file system needed): raw bytes and per-file gzip bytes, summed. */
export async function sizeFromBytes(files: NamedBytes[]): Promise<SizeResult> {
  const out: FileSize[] = [];
  for (const f of files) out.push({ path: f.path, bytes: f.data.byteLength, gzipBytes: await gzipLength(f.data) });
  return {
    bytes: out.reduce((s, f) => s + f.bytes, 0),
    gzipBytes: out.reduce((s, f) => s + f.gzipBytes, 0),
    files: out,
  };
}

/**
 * Size of a model on disk: its descriptor (model.json) and the weight files it lists, nothing else in the
 * folder. A listed file that is missing is an error, not a zero.
 */
export async function measureSize(options: { loaded: Pick<LoadedModel, 'descriptorPath' | 'weightFiles'> }): Promise<SizeResult> {
  const { readFile } = await import('node:fs/promises');
  const paths = [options.loaded.descriptorPath, ...options.loaded.weightFiles];
  const files: NamedBytes[] = [];
  for (const path of new Set(paths)) {
    try {
      files.push({ path, data: await readFile(path) });
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new ShrinkmlError(missing ? 'NOT_FOUND' : 'BAD_INPUT',
        `${path}: cannot read model file for size measurement (${(e as Error).message})`, { subject: path, cause: e });
    }
  }
  return sizeFromBytes(files);
}
