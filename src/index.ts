/**
 * shrinkml's public API. Everything a training script or tool needs is exported here; deep imports are not a
 * contract. The library never prints and never exits: failures are ShrinkmlError (see `code`), progress comes
 * through `onProgress` callbacks.
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
export * from './distill/index.js';
export * as onnx from './onnx/index.js';
export { measureOnnx } from './onnx/measure.js';
export { onnxFormat, loadOnnx, writeOnnx } from './formats/onnx/index.js';
export { registerKernels, setKernelThreads, kernelThreads } from '../kernels/index.js';
