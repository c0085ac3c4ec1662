import { loadModel } from '../../formats/index.js';
import type { LoadedModel } from '../../formats/types.js';
import type { CliIo } from '../command.js';

/** Loads any model shrinkml reads; warnings (e.g. allowed non-finite weights) go to stderr. */
export function loadModelForCli(path: string, flags: { allowNonfinite?: boolean }, io: CliIo): Promise<LoadedModel> {
  return loadModel(path, {
    allowNonFinite: Boolean(flags.allowNonfinite),
    onWarn: (message) => io.stderr(`warning: ${message}\n`),
  });
}

export function describeIo(loaded: LoadedModel): { inputs: unknown[]; outputs: unknown[] } {
  const model = loaded.model as { inputs: { shape: unknown }[]; outputs: { shape: unknown }[] };
  return { inputs: model.inputs.map((t) => t.shape), outputs: model.outputs.map((t) => t.shape) };
}
