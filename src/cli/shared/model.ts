import { loadModel } from '../../formats/index.js';
import { onnxFormat } from '../../formats/onnx/index.js';
import { int8ParamCounts, int8WeightBits } from '../../quantize/index.js';
import type { LoadedModel, LoadedOnnxModel } from '../../formats/types.js';
import type { CliIo } from '../command.js';
import { graphWeightBits } from '../../formats/graph/index.js';

/** Loads any model shrinkml reads; warnings (e.g. allowed non-finite weights) go to stderr. */
export function loadModelForCli(path: string, flags: { allowNonfinite?: boolean }, io: CliIo): Promise<LoadedModel> {
  return loadModel(path, {
    allowNonFinite: Boolean(flags.allowNonfinite),
    onWarn: (message) => io.stderr(`warning: ${message}\n`),
  });
}

export function describeIo(loaded: LoadedModel | LoadedOnnxModel): { inputs: unknown[]; outputs: unknown[] } {
  if (loaded.kind === 'onnx') {
    return { inputs: loaded.inputs.map((t) => t.shape), outputs: loaded.outputs.map((t) => t.shape) };
  }
  const model = loaded.model as { inputs: { shape: unknown }[]; outputs: { shape: unknown }[] };
  return { inputs: model.inputs.map((t) => t.shape), outputs: model.outputs.map((t) => t.shape) };
}

/** Like loadModelForCli, but also reads ONNX files (for the commands that handle both: inspect, eval). */
export async function loadAnyModelForCli(path: string, flags: { allowNonfinite?: boolean }, io: CliIo): Promise<LoadedModel | LoadedOnnxModel> {
  if (await onnxFormat.canRead(path)) {
    return onnxFormat.read(path, { allowNonFinite: Boolean(flags.allowNonfinite), onWarn: (m) => io.stderr(`warning: ${m}\n`) });
  }
  return loadModelForCli(path, flags, io);
}

export { disposeLoaded } from '../../formats/index.js';

/** What measure needs to report shrinkml int8 layers truthfully: 8-bit weights, and parameters not packed words. */
/** (Graph models: the int4 codes of weights:int4 sit in uint8 entries; graphWeightBits tells them from int8.) */
export function int8Hints(loaded: LoadedModel): { weightBits?: Record<string, number>; packedInt8?: Record<string, number> } {
  if (loaded.kind === 'graph') return { weightBits: graphWeightBits(loaded.weightSpecs) };
  if (loaded.kind !== 'layers') return {};
  return { weightBits: int8WeightBits(loaded.model), packedInt8: int8ParamCounts(loaded.model) };
}
