import { resolveBundledModel } from './bundled.js';
import { tfjsGraph } from './graph.js';
import { tfjsLayers } from './layers.js';
import { onnxFormat } from './onnx/adapter.js';
import { adapterFor, loadWith, type FormatAdapter } from './registry.js';
import type { LoadedModel, LoadOptions } from './types.js';

/** Every model format shrinkml reads. Add one = one adapter file + one line here. */
export const formats: readonly FormatAdapter[] = [
  tfjsLayers as unknown as FormatAdapter,
  tfjsGraph as unknown as FormatAdapter,
  onnxFormat as unknown as FormatAdapter,
];

/** The registered adapter of a loaded model (by its kind). */
export function formatOf<M extends LoadedModel>(model: M): FormatAdapter<M> {
  return adapterFor(formats, model);
}

/** Frees what a loaded model holds, whatever its format (nothing for ONNX). */
export function disposeLoaded(model: LoadedModel | undefined): void {
  if (model) formatOf(model).dispose(model);
}

/**
 * Load a model from a folder or file, whatever its format (see ./registry.ts for the dispatch rules), or one of the
 * models shipped in the package by name ('mnist-lenet5').
 */
export function loadModel(path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  return loadWith(formats, resolveBundledModel(path), options);
}

export { saveLayersModel } from './save.js';
export { loadLayers, tfjsLayers, copyLayersModel, disposeLayersModel, hashLayersWeights } from './layers.js';
export { onnxFormat } from './onnx/adapter.js';
export { loadGraph, tfjsGraph } from './graph.js';
export { adapterFor, loadWith, sniffFormat } from './registry.js';
export type { AdapterWriteOptions, FormatAdapter, ModelRunner, RunnerOptions, RunResult, SaveResult, WeightRef } from './registry.js';
export { forgetLoadedSources } from './protect.js';
export { classifyModelJson, checkWeightPath, elementCount, entryByteLength, parseModelJson, weightRanges } from './manifest.js';
export type { ManifestEntry, ManifestGroup, ModelJson, WeightRange } from './manifest.js';
export { MAX_ELEMENTS_PER_TENSOR, MAX_TOTAL_WEIGHT_BYTES, checkFinite, checkGroupBytes, checkSizeLimits, expectedGroupBytes } from './validate.js';
export { affineQuantize, encodeWeights, fromFloat16, splitShards, toFloat16 } from './encode.js';
export type * from './types.js';
