/**
 * shrinkml's public API, grouped by task. Each name here is a contract with TSDoc at its declaration; the building
 * blocks behind them (observers, masks, recipes, codecs, renderers) are in `shrinkml/advanced`, and the int8 layers'
 * loader for plain tfjs is `shrinkml/runtime`. The library never prints and never exits: failures are ShrinkmlError
 * (see `code`), progress comes through `onProgress` callbacks. Importing it loads no native addon: onnxruntime-node,
 * Dawn (`webgpu`) and tfjs-node are optional peers imported by the features that need them.
 *
 * @module shrinkml
 */

// ── Errors, progress, version ──────────────────────────────────────────────────────────────────────────────────────
export { ShrinkmlError, isShrinkmlError } from './core/errors.js';
export type { ErrorCode } from './core/errors.js';
export type { ProgressEvent, ProgressFn } from './core/progress.js';
export { VERSION } from './core/version.js';

// ── Backends and data ──────────────────────────────────────────────────────────────────────────────────────────────
export { selectBackend } from './backends/index.js';
export type { BackendChoice, BackendRequest } from './backends/index.js';
export { loadData, batches } from './data/index.js';
export type { Dataset, LoadDataOptions } from './data/index.js';
export { trainSeeded, evaluateAccuracy } from './train/index.js';

// ── Measure ────────────────────────────────────────────────────────────────────────────────────────────────────────
export { measureModel, measureSize, measureLatency, evaluateQuality, countParams, parseBudget, checkBudget } from './measure/index.js';
export type { Measurement, MeasureModelOptions } from './measure/index.js';

// ── Prune ──────────────────────────────────────────────────────────────────────────────────────────────────────────
export { PruningCallback, stripPruning, ConstantSparsity, PolynomialDecay } from './prune/index.js';
export { pruneUnstructured, pruneStructured, computeMagnitudeMasks } from './prune/index.js';
export type { PruningCallbackOptions, PruningSchedule } from './prune/index.js';
export { buildDependencyGraph } from './graph/index.js';

// ── Quantize ───────────────────────────────────────────────────────────────────────────────────────────────────────
export { quantizeModel } from './quantize/qat/quantize-model.js';
export { prepareQat, convertQat, runQat, QatDense, QatConv2D } from './quantize/index.js';
export { calibrate, convertToInt8, parseQuantConfig, DEFAULT_QUANT_CONFIG } from './quantize/index.js';
export type { QatModel, QuantConfig, CalibrationResult, ConvertResult } from './quantize/index.js';
export { quantizeDynamic, quantizeStatic } from './pipeline/quantize-files.js';
export type { QuantizeFilesOptions, QuantizeFilesResult } from './pipeline/quantize-files.js';

// ── Distill ────────────────────────────────────────────────────────────────────────────────────────────────────────
export { distill, distillationLoss, shrinkWidth, DISTILL_DEFAULTS } from './distill/index.js';
export type { DistillOptions } from './distill/index.js';

// ── Cluster ────────────────────────────────────────────────────────────────────────────────────────────────────────
export { clusterModel, saveClusteredModel, loadClusteredLayers } from './cluster/index.js';

// ── Pipeline: steps as data, presets, budget search, lineage ───────────────────────────────────────────────────────
export { compress, compressModel, runPipeline, parsePipelineConfig, loadPipelineConfig, getPreset, readLineage } from './pipeline/index.js';
export type { PipelineConfig, CompressOptions, CompressResult, CompressFileOptions } from './pipeline/index.js';

// ── Formats: tfjs Layers/Graph and ONNX on disk ────────────────────────────────────────────────────────────────────
export { loadModel, saveLayersModel } from './formats/index.js';
export type { LoadedModel, LoadOptions, SaveOptions } from './formats/index.js';
export { fileIO } from './formats/file-io.js';
export { loadOnnx, writeOnnx } from './formats/onnx/index.js';
export { convertToOnnx, calibrateAndQuantizeStatic, webRuntime, nodeRuntime } from './onnx/index.js';
export { upgradeOpset, hoistConstants, graphProblems } from './onnx/opset/index.js';
export type { OpsetUpgrade, UpgradeOptions } from './onnx/opset/index.js';

// ── Runtime: the int8 layers (also registered by `import 'shrinkml/runtime'`) ─────────────────────────────────────
export { QuantizedDense, QuantizedConv2D, setInt8Execution, withClusterDecoding } from './runtime/index.js';

// ── Kernels (kernels/README.md) ────────────────────────────────────────────────────────────────────────────────────
export { registerKernels, setKernelThreads, kernelThreads, matMulInt8, conv2dInt8, fakeQuant, histogram } from '../kernels/index.js';
