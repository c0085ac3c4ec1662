import * as path from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import { writeFilesAtomically } from '../atomic.js';
import { assertNotProtected } from '../protect.js';
import type { IModelProto } from './proto.js';
import { decodeOnnx } from './decode.js';
import { encodeOnnx } from './encode.js';

export { encodeOnnx };

export interface WriteOnnxOptions {
  model: IModelProto;
  /** The .onnx file to write. */
  out: string;
  force?: boolean;
  /** Paths never to write over, besides every model loaded in this process. */
  protect?: string[];
}

export interface WriteOnnxResult { path: string; bytes: number }

/**
 * Writes a model atomically (temp file, then rename), never over the input model, never over an existing file
 * without force. The bytes are decoded again first: a model shrinkml cannot read back is not written.
 */
export async function writeOnnx({ model, out, force, protect }: WriteOnnxOptions): Promise<WriteOnnxResult> {
  const target = path.resolve(out);
  if (!/\.onnx$/i.test(target)) {
    throw new ShrinkmlError('BAD_INPUT', `${out}: an ONNX output must end in .onnx`, { subject: out });
  }
  assertNotProtected([target], protect);
  const bytes = encodeOnnx(model);
  decodeOnnx(bytes, `${out} (about to be written)`, { allowNonFinite: true });
  await writeFilesAtomically({ parent: path.dirname(target), files: [{ name: path.basename(target), content: bytes }], force });
  return { path: target, bytes: bytes.length };
}
