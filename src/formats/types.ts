import type * as tf from '@tensorflow/tfjs';
import type { ProgressFn } from '../core/progress.js';
import type { GraphFiles } from './graph/io.js';
import type { GraphWeightMode } from './graph/quantize.js';
import type { StaticInt8 } from './graph/static-int8.js';
import type { GraphCalibration } from './graph/correction.js';
import type { ModelProto as OnnxModelProto } from './onnx/proto.js';

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
  /** The model as tfjs runs it (built from `graph` with `storage` applied when the view was made). */
  model: tf.GraphModel;
  weightSpecs: tf.io.WeightsManifestEntry[];
  /** The editable form: model.json, every weight decoded, each weight's role (src/formats/graph). */
  graph: GraphFiles;
  /** How weights are stored on write (weights:float16|uint8|int8|int4); undefined keeps each weight's input storage. */
  storage?: GraphWeightMode;
  /** Static int8 compute (`--quantize static`): the int8 ops and calibrated ranges the writer applies. */
  staticInt8?: StaticInt8;
  /** weights:int8/int4 with `--data`: kernel input statistics for bias correction and GPTQ (graph/correction.ts). */
  calibration?: GraphCalibration;
  /** Weights `storage` does not apply to (the weight step's `exclude`): written as the input stored them. */
  keepStored?: ReadonlySet<string>;
}

/** A dimension as a graph declares it: a fixed size, a symbolic name ('batch', 'N'), or null when free/unknown. */
export type Dim = number | string | null;

/**
 * A declared graph input or output, format-neutral. `dtype` uses tfjs names ('float32', 'int32', 'int64', 'bool',
 * 'float16', 'uint8', 'int8', 'string', 'float64').
 */
export interface ValueInfo { name: string; dtype: string; shape: Dim[] }

/** A declared ONNX graph input/output: element type in ONNX's names ('float', 'int64', ...) and dims. */
export interface OnnxValueInfo { name: string; dtype: string; shape: Dim[] }

/** Tensor values on the host (what runners take and give); the element type is the array's. */
export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** A host tensor: row-major values and concrete dims. Structurally the same as onnxruntime's host tensors. */
export interface HostTensor { data: TensorData; dims: readonly number[] }

/**
 * An .onnx file, decoded and checked (see ./onnx/decode.ts). `model` is the protobufjs ModelProto; `bytes` the file
 * as read. A working copy (the adapter's `clone`) is edited through `model`; `bytes` then describes the file read,
 * not the edits: runners and writers encode `model`. weightFiles is empty: external data is refused.
 */
export interface LoadedOnnxModel extends LoadedModelBase {
  kind: 'onnx';
  model: OnnxModelProto;
  bytes: Uint8Array;
  /** The graph inputs a caller feeds (initializers listed as inputs are left out). */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** A model of any format shrinkml reads; `kind` picks the view and its adapter (see ./registry.ts). */
export type LoadedModel = LoadedLayersModel | LoadedGraphModel | LoadedOnnxModel;

/** The TensorFlow.js views. */
export type LoadedTfjsModel = LoadedLayersModel | LoadedGraphModel;

/** How loadModel reads a model: limits, and whether non-finite weights are an error. */
export interface LoadOptions {
  /** Non-finite weights become a warning instead of an error. */
  allowNonFinite?: boolean;
  onWarn?: (message: string) => void;
}

/** How saveLayersModel writes: overwrite, weight encodings, shard size. */
export interface SaveOptions {
  /** Replace an existing output. The input model is never overwritten, even with force. */
  force?: boolean;
  /** Paths that must never be written (the input model's files). */
  protect?: string[];
  /** Extra JSON files written atomically beside model.json (e.g. a lineage manifest). */
  extraFiles?: Record<string, unknown>;
  /** Largest shard file in bytes; the weights are split over several `groupN-shardIofK.bin` files. Default: one shard. */
  shardSizeBytes?: number;
  /** Store some weights quantized (written as manifest `quantization` entries). */
  weightEncodings?: WeightEncodings;
  /** Free-form block written under the `shrinkml` key of model.json (read back into LoadedModel.meta.shrinkml). */
  shrinkml?: Record<string, unknown>;
  /**
   * Write the files into this staged output (whose folder `out` names) instead of committing them on the spot:
   * the caller adds lineage and reports and commits the set (see src/pipeline/output.ts).
   */
  stage?: OutputStage;
  /** Progress of a long write (a graph model's int8/int4 encoding: the scale search and the bit choice). */
  onProgress?: ProgressFn;
}

/** Where a writer puts an output's files when the caller commits the set later (formats/atomic.ts: StagedOutput). */
export interface OutputStage {
  write(files: readonly { name: string; content: Uint8Array | string }[]): Promise<void>;
}

/**
 * How one float32 weight is stored on disk. `uint8`/`uint16` are affine (value = q * scale + min, zero exactly
 * representable so pruned weights stay zero); `float16` is IEEE half precision. Same semantics as tf.io.decodeWeights.
 * `int8` (per output channel) and `int4` (blocks of 32 along the reduction) are integer codes + scales
 * (docs/graph-models.md): the Layers format cannot apply the scales, so these load through shrinkml (weight-codes.ts).
 */
export type WeightEncoding = 'float32' | 'uint8' | 'uint16' | 'float16' | 'int8' | 'int4';

/** Per-weight storage choice: a map from manifest name, or a function (return undefined to keep float32). */
export type WeightEncodings =
  | Record<string, WeightEncoding>
  | ((weight: { name: string; shape: number[]; dtype: string }) => WeightEncoding | undefined);
