/**
 * INT8 quantization: observers and calibration, weight quantizers, dynamic and static post-training
 * quantization to the shrinkml int8 format (run by shrinkml/runtime), QAT, and stock-loadable weight-only export.
 * Phases: prepare (fold BatchNorm, fuse ReLU) → calibrate (static) or train (qat) → convert.
 */
export { runQuantizeStep } from './step.js';
export type { QuantizeReport, QuantizeStepOptions, QuantizeStepResult } from './step.js';
export { parseQuantizeSpec, QUANTIZE_HELP } from './spec.js';
export type { QuantizeSpec } from './spec.js';
export { DEFAULT_QUANT_CONFIG, QUANTIZE_MODES, namePattern, parseQuantConfig, settingsFor } from './config.js';
export type { ActivationQuantConfig, LayerOverride, LayerQuantSettings, QuantConfig, QuantizeMode } from './config.js';

export { OBSERVERS, OBSERVER_NAMES, createObserver, isObserverName, StreamingHistogram } from './observers/index.js';
export type { Observer, ObserverFactory, ObserverName, ObserverOptions, Range } from './observers/index.js';
export { calibrate } from './calibrate.js';
export { calibrateTensors } from './calibrate-tensors.js';
export { calibrateGraphInt8, calibrateGraphWeights } from './graph-static.js';
export type { CalibrateOptions, CalibrationResult } from './calibrate.js';

export {
  DEFAULT_WEIGHT_CONFIG, channelMinMax, channelParams, dequantizeWeight, packKernelRows, quantizeWeight, weightRange,
} from './weights.js';
export type { QuantizedWeight, WeightQuantConfig } from './weights.js';
export { foldBatchNorm } from './fold.js';
export type { BatchNormParams } from './fold.js';
export { prepareFloat } from './prepare.js';
export type { PrepareOptions, PrepareResult } from './prepare.js';
export { convertToInt8 } from './convert.js';
export type { ConvertOptions, ConvertResult, LayerReport } from './convert.js';
export { FLOAT16_MAX, FLOAT16_MIN_NORMAL, fromFloat16, isFloat16Exact, roundToFloat16, storedBias, storedScales } from './float16.js';
export type { StoredParams } from './float16.js';
export { prepareQat, convertQat, runQat, QatDense, QatConv2D } from './qat/index.js';
export type { QatModel, QatSummary, RunQatOptions, QatCallback } from './qat/index.js';
export { planWeightOnly } from './weight-only.js';
export type { WeightOnlyLayer, WeightOnlyPlan } from './weight-only.js';
export { int8WeightBits, int8ParamCounts } from './bits.js';
export { INT8_CLASS, MAX_REDUCTION, unsupportedReason } from './support.js';
/** Editable view of a LayersModel's JSON config (named apart from src/graph's dependency graph). */
export { ModelGraph as LayerConfigGraph } from './graph.js';
