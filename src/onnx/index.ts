/**
 * ONNX compression and export: public API (Node; onnxruntime-node is the reference runtime). The browser-safe part
 * (decode, calibrate with onnxruntime-web, static QDQ) is also gathered in ./browser.ts for bundlers.
 */
export { LINEAGE_KEYS, readOnnxLineage } from './lineage.js';
export type { OnnxLineage } from './lineage.js';
export { convertToOnnx, layersToOnnx, EXPORT_OPSET, SUPPORTED_LAYER_CLASSES } from './convert/index.js';
export type { ConvertToOnnxOptions, ConvertToOnnxResult, LayersToOnnxOptions } from './convert/index.js';
export { quantizeDynamic, DYNAMIC_MIN_OPSET } from './dynamic.js';
export type { DynamicQuantizeOptions, DynamicConvForm } from './dynamic.js';
export { quantizeStatic, STATIC_MIN_OPSET, PER_CHANNEL_MIN_OPSET } from './static.js';
export type { StaticQuantizeOptions } from './static.js';
export { planStatic } from './static-plan.js';
export type { PlannedNode, StaticPlan } from './static-plan.js';
export { calibrateOnnx } from './calibrate.js';
export type { Calibration, CalibrateOnnxOptions } from './calibrate.js';
export type { CalibrationBatches, Feeds } from './calibration-batches.js';
export { calibrateAndQuantizeStatic } from './static-calibrated.js';
export type { CalibrateAndQuantizeOptions, CalibratedStaticModel } from './static-calibrated.js';
export { pruneOnnx } from './prune.js';
export type { PruneOnnxOptions, PruneReport, PrunedWeight } from './prune.js';
export { pruneChannelsOnnx } from './channels.js';
export type { ChannelPruneOptions, ChannelPruneReport } from './channels.js';
export { storeWeights } from './weight-only.js';
export type { StoredWeight, WeightFormat, WeightOnlyOptions, WeightOnlyReport } from './weight-only.js';
export { ONNX_QUANTIZE_MODES, onnxQuantizeMode } from './modes.js';
export type { OnnxQuantizeMode, OnnxQuantizeModeInfo, OnnxQuantizeOptions, OnnxQuantizeResult } from './modes.js';
export { packInt4, unpackInt4, toMatMulNBits, INT4_BLOCK } from './matmul-nbits.js';
export type { Int4Weights } from './matmul-nbits.js';
export { inspectOnnx } from './inspect.js';
export type { OnnxSummary } from './inspect.js';
export { argmaxRows, datasetFeed, onnxInputShape } from './data.js';
export { createSession, runSession, runOnnx, nodeRuntime } from './runtime.js';
export type { HostTensor, SessionOptions, OnnxRuntime, OnnxSession, OrtModule } from './ort.js';
export { ortRuntime } from './ort.js';
export { webRuntime } from './runtime-web.js';
export type { WebRuntimeOptions, OrtWebModule } from './runtime-web.js';
export { defaultOnnxRuntime } from './default-runtime.js';
export { encodeModel } from './encode.js';
export { GraphBuilder, makeValueInfo } from './builder.js';
export { GraphEditor, cloneModel, graphEditors, finishEditors } from './graph.js';
export type { Weight } from './graph.js';
export { attr } from './attrs.js';
export type { QuantizeReport, QuantizedNode, SkippedNode } from './report.js';
export { ONNX_COMPRESS_HELP } from './help.js';
export { foldBatchNorms } from './fold.js';
