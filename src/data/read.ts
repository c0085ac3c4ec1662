import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { ShrinkmlError } from '../core/errors.js';

const gunzipAsync = promisify(gunzip);

/** Decompressed data files larger than this are refused: a corrupt or hostile .gz could otherwise exhaust memory. */
export const MAX_DATA_BYTES = 4 * 1024 ** 3 - 1;

/** Reads a data file whole, transparently gunzipping `.gz` files (or any file starting with the gzip magic). */
export async function readDataFile(file: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ShrinkmlError('NOT_FOUND', `${file}: no such file`, { subject: file, cause: e });
    throw new ShrinkmlError('BAD_INPUT', `${file}: cannot read (${(e as Error).message})`, { subject: file, cause: e });
  }
  const gz = file.endsWith('.gz') || (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b);
  if (!gz) return bytes;
  try {
    return await gunzipAsync(bytes, { maxOutputLength: MAX_DATA_BYTES });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ShrinkmlError('LIMIT', `${file}: decompresses to more than ${MAX_DATA_BYTES} bytes`, { subject: file, cause: e });
    }
    throw new ShrinkmlError('BAD_INPUT', `${file}: not a valid gzip file (${(e as Error).message})`, { subject: file, cause: e });
  }
}
