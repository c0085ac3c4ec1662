/**
 * The browser-safe part of src/onnx, one import for a bundler: read a model from bytes, calibrate it in
 * onnxruntime-web (wasm or WebGPU), quantize it to QDQ and encode it again. Nothing reachable from here imports a
 * Node built-in or onnxruntime-node (test/onnx/browser-bundle.test.ts bundles it to check).
 *
 * @module shrinkml/onnx-web
 */
export { decodeOnnx, graphInputs, graphOutputs } from '../formats/onnx/decode.js';
export { encodeModel } from './encode.js';
export { calibrateOnnx } from './calibrate.js';
export type { Calibration, CalibrateOnnxOptions } from './calibrate.js';
export type { CalibrationBatches, Feeds } from './calibration-batches.js';
export { calibrateAndQuantizeStatic } from './static-calibrated.js';
export type { CalibrateAndQuantizeOptions, CalibratedStaticModel } from './static-calibrated.js';
export { quantizeStatic } from './static.js';
export type { StaticQuantizeOptions } from './static.js';
export { planStatic } from './static-plan.js';
export { foldBatchNorms } from './fold.js';
export { ortRuntime } from './ort.js';
export type { HostTensor, OnnxRuntime, OnnxSession, OrtModule, SessionOptions } from './ort.js';
export { webRuntime } from './runtime-web.js';
export type { OrtWebModule, WebRuntimeOptions } from './runtime-web.js';
