import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import { rememberLoadedSource } from '../protect.js';
import { displayPath } from '../read.js';
import type { FormatAdapter } from '../registry.js';
import type { LoadedOnnxModel, LoadOptions } from '../types.js';
import { decodeOnnx, graphInputs, graphOutputs, type DecodeOptions } from './decode.js';
import { toNumber } from './proto.js';

/**
 * ONNX ModelProto files (.onnx). Writing goes through writeOnnx / shrinkml's compress and convert, not `write`.
 * Typed as a FormatAdapter whose read returns the ONNX view; it joins ../index.ts's list once LoadedModel has it.
 */
export const onnxFormat: Omit<FormatAdapter, 'read'> & { read(path: string, options?: LoadOptions): Promise<LoadedOnnxModel> } = {
  name: 'onnx',
  canRead: async (p) => /\.onnx$/i.test(p) && Boolean((await fsp.stat(p).catch(() => null))?.isFile()),
  read: (p, options) => loadOnnx(p, options),
};

export async function loadOnnx(source: string, options: LoadOptions & DecodeOptions = {}): Promise<LoadedOnnxModel> {
  const file = path.resolve(source);
  const shown = displayPath(file);
  const stat = await fsp.stat(file).catch(() => null);
  if (!stat?.isFile()) throw new ShrinkmlError('NOT_FOUND', `${shown}: no such file`, { subject: shown });
  const maxBytes = options.maxBytes ?? 2 ** 31 - 1;
  if (stat.size > maxBytes) {
    throw new ShrinkmlError('LIMIT', `${shown}: ${stat.size} bytes, over the limit of ${maxBytes}`, { subject: shown });
  }
  const bytes = new Uint8Array(await fsp.readFile(file));
  const { model, stats } = decodeOnnx(bytes, shown, options);
  rememberLoadedSource([file]);
  return {
    kind: 'onnx', source, descriptorPath: file, weightFiles: [], model, bytes,
    inputs: graphInputs(model, shown), outputs: graphOutputs(model, shown),
    meta: {
      irVersion: toNumber(model.irVersion),
      opsets: Object.fromEntries((model.opsetImport ?? []).map((o) => [o.domain || 'ai.onnx', toNumber(o.version)])),
      producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || undefined,
      ...stats,
    },
  };
}
