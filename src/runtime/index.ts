/**
 * shrinkml/runtime: import it (after the tfjs backends you use) and plain `tf.loadLayersModel` runs shrinkml int8
 * models on the int8 kernels. Browser-safe and small: no fs, no formats, no training code.
 *
 * @module shrinkml/runtime
 */
import * as tf from '@tensorflow/tfjs';
import { registerKernels } from '../../kernels/index.js';
import { QuantizedConv2D } from './quantized-conv2d.js';
import { QuantizedDense } from './quantized-dense.js';
import { registerGraphInt8Ops } from './graph-ops.js';

/** Every int8 layer class of the format; adding one = one file + one line here. */
export const INT8_LAYER_CLASSES = [QuantizedDense, QuantizedConv2D] as const;

for (const cls of INT8_LAYER_CLASSES) tf.serialization.registerClass(cls);

// Static int8 GraphModels: their int8 ops (docs/graph-models.md), registered with tf.registerOp on import so plain
// tf.loadGraphModel loads them.
registerGraphInt8Ops();

/**
 * Resolves when the int8 kernels are compiled and registered for every backend registered now. Loading and
 * running a model works without awaiting it (kernels are registered on first use), except in a browser's main
 * thread, where the wasm module must be compiled asynchronously first: await ready() there.
 */
export function ready(): Promise<void> {
  return registerKernels();
}

// Started on import so that most programs never need to call ready(); a failure surfaces on the first int8 call.
ready().catch(() => {});

export { QuantizedConv2D, QuantizedDense };
export type { QuantizedConv2DArgs } from './quantized-conv2d.js';
export type { QuantizedDenseArgs } from './quantized-dense.js';
export { INT8_FORMAT_VERSION, INT8_WEIGHT } from './format.js';
export type { InputQuant, Int8LayerConfig } from './format.js';
export { setInt8Execution, getInt8Execution, int8KernelReady, ensureKernel } from './execution.js';
export type { Int8Execution } from './execution.js';
export { isSupportedActivation } from './activations.js';
// The fused int8 path: predictInt8 runs a static int8 Layers model with int8 activations flowing layer to layer.
export { predictInt8, planFusedInt8, runFusedInt8, fusedInt8Available } from './fused.js';
export type { FusedInt8Plan, FusedStep } from './fused.js';
// The fused int8 kernels (cpu, wasm), for other executors such as the custom ops of static int8 graph models.
export {
  fusedMatMulInt8, fusedConv2dInt8, depthwiseConv2dInt8, maxPoolInt8, avgPoolInt8,
} from '../../kernels/fused-int8/index.js';
export type {
  Int8Epilogue, EpilogueActivation, PoolInt8Attrs, FusedMatMulInt8Attrs, FusedConv2DInt8Attrs,
} from '../../kernels/fused-int8/index.js';
export { quantizeInt8 } from '../../kernels/quantize-int8/index.js';
// Kernel threads (off by default): `await setKernelThreads(2)` splits the fused GEMMs across a worker.
export { setKernelThreads, kernelThreads } from '../../kernels/wasm/threads.js';
export type { KernelThreadOptions } from '../../kernels/wasm/threads.js';
export { dequantizeInt8 } from '../../kernels/dequantize-int8/index.js';
export { quantizePack, dynamicParams, finiteRange, ACTIVATION_RANGE } from './quantize-input.js';

// Codebook (weight-clustered) models: wrap an IOHandler so stock tf.loadLayersModel expands them at load.
export { withClusterDecoding, decodeClusteredArtifacts } from '../cluster/format.js';

// weights:int8 / weights:int4 LayersModels: codes × scales back to float32 kernels at load.
export { withWeightCodeDecoding, decodeWeightCodes } from '../formats/weight-codes.js';
// Static int8 GraphModels: the custom op names and attrs (registered above).
export { GRAPH_INT8_OPS } from './graph-format.js';
export type { GraphInt8Attrs, GraphInt8OpKind } from './graph-format.js';
export { registerGraphInt8Ops } from './graph-ops.js';
