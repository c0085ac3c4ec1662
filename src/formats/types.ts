import type * as tf from '@tensorflow/tfjs';

/**
 * The format-neutral view of a model on disk that the rest of shrinkml works with. Formats are adapters that
 * produce and consume it (see ./registry.ts).
 */
export type ModelKind = 'layers' | 'graph' | 'onnx';

export interface LoadedModelBase {
  kind: ModelKind;
  /** The path the user gave (folder or file). */
  source: string;
  /** The file that describes the model (model.json, or the .onnx file). */
  descriptorPath: string;
  /** Every file the descriptor references (weight shards), absolute paths, in manifest order. */
  weightFiles: string[];
  /** Free-form facts about the format, e.g. the `shrinkml` block or the weight dtypes in the manifest. */
  meta: Record<string, unknown>;
}

export interface LoadedLayersModel extends LoadedModelBase {
  kind: 'layers';
  model: tf.LayersModel;
  /** The manifest entries as stored (dtype and quantization of each weight on disk). */
  weightSpecs: tf.io.WeightsManifestEntry[];
}

export interface LoadedGraphModel extends LoadedModelBase {
  kind: 'graph';
  model: tf.GraphModel;
  weightSpecs: tf.io.WeightsManifestEntry[];
}

export type LoadedModel = LoadedLayersModel | LoadedGraphModel;

export interface LoadOptions {
  /** Non-finite weights become a warning instead of an error. */
  allowNonFinite?: boolean;
  onWarn?: (message: string) => void;
}

export interface SaveOptions {
  /** Replace an existing output. The input model is never overwritten, even with force. */
  force?: boolean;
  /** Paths that must never be written (the input model's files). */
  protect?: string[];
  /** Extra JSON files written atomically beside model.json (e.g. a lineage manifest). */
  extraFiles?: Record<string, unknown>;
}
