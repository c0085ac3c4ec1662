import { tfjsGraph } from './graph.js';
import { tfjsLayers } from './layers.js';
import { loadWith, type FormatAdapter } from './registry.js';
import type { LoadedModel, LoadOptions } from './types.js';

/** Every model format shrinkml reads. Add one = one adapter file + one line here. */
export const formats: readonly FormatAdapter[] = [
  tfjsLayers,
  tfjsGraph,
];

/** Load a model from a folder or file, whatever its format; see ./registry.ts for the dispatch rules. */
export function loadModel(path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  return loadWith(formats, path, options);
}

export { saveLayersModel } from './save.js';
export { loadLayers, tfjsLayers } from './layers.js';
export { loadGraph, tfjsGraph } from './graph.js';
export { loadWith } from './registry.js';
export type { FormatAdapter, SaveResult } from './registry.js';
export { forgetLoadedSources } from './protect.js';
export { classifyModelJson, checkWeightPath, elementCount, entryByteLength, parseModelJson, weightRanges } from './manifest.js';
export type { ManifestEntry, ManifestGroup, ModelJson, WeightRange } from './manifest.js';
export { MAX_ELEMENTS_PER_TENSOR, MAX_TOTAL_WEIGHT_BYTES, checkFinite, checkGroupBytes, checkSizeLimits, expectedGroupBytes } from './validate.js';
export { affineQuantize, encodeWeights, splitShards, toFloat16 } from './encode.js';
export type * from './types.js';
