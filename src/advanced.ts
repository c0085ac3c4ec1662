/**
 * shrinkml/advanced: every module's building blocks (observers, masks, recipes, codecs, schema checks, report
 * renderers...) for tools built on shrinkml. Less stable than the curated `shrinkml` entry (src/index.ts): names
 * here may change between minor versions.
 */
export { ShrinkmlError, isShrinkmlError } from './core/errors.js';
export type { ErrorCode, ShrinkmlErrorOptions } from './core/errors.js';
export type { ProgressEvent, ProgressFn, WarnFn } from './core/progress.js';
export { VERSION } from './core/version.js';

export * from './backends/index.js';
export * from './formats/index.js';
export * from './data/index.js';
export * from './train/index.js';
export * from './measure/index.js';
export { ARCHITECTURES, getArchitecture, seededInit } from './zoo/index.js';
export type { Architecture } from './zoo/index.js';
export * from './pipeline/index.js';
export * from './cluster/index.js';
export * from './report/index.js';
export * from './prune/index.js';
export * from './graph/index.js';
export * from './quantize/index.js';
export { quantizeModel } from './quantize/qat/quantize-model.js';
export * from './distill/index.js';
export * as onnx from './onnx/index.js';
export { onnxFormat, loadOnnx, writeOnnx } from './formats/onnx/index.js';
export {
  registerKernels, setKernelThreads, kernelThreads, KERNELS, GRADIENTS, matMulInt8, conv2dInt8, fakeQuant, histogram, quantizeInt8, dequantizeInt8,
  matMulInt8WeightOnly, magnitudeThreshold, magnitudeMasks, setWebGPUKernelOptions,
} from '../kernels/index.js';
export { fileIO } from './formats/file-io.js';
export { quantizeDynamic, quantizeStatic } from './pipeline/quantize-files.js';
export type { QuantizeFilesOptions, QuantizeFilesResult } from './pipeline/quantize-files.js';
