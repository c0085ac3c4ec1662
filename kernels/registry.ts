import * as tf from '@tensorflow/tfjs';
import { batchNormGradCpu, batchNormGradWasm, fusedBatchNormGradient } from './batch-norm-grad/index.js';
import { batchMatMulWasm } from './batch-matmul/index.js';
import { BROADCAST_BINARY_WASM } from './broadcast-binary/index.js';
import { CHANNEL_SUM_WASM } from './channel-sum/index.js';
import { identityWasm } from './identity/index.js';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter/index.js';
import { conv2dBackpropInputWasm } from './conv2d-backprop-input/index.js';
import { depthwiseBackpropFilterWasm } from './depthwise-backprop-filter/index.js';
import { depthwiseBackpropInputWasm } from './depthwise-backprop-input/index.js';
import { conv2dInt8Cpu, conv2dInt8Wasm } from './conv2d-int8/index.js';
import { FUSED_INT8_KERNELS } from './fused-int8/kernels.js';
import { fakeQuantCpu, fakeQuantGradient, fakeQuantWasm } from './fake-quant/index.js';
import { histogramCpu, histogramWasm } from './histogram/index.js';
import { matMulInt8Cpu, matMulInt8Wasm } from './matmul-int8/index.js';
import { maxPoolGradWasm } from './max-pool-grad/index.js';
import { channelMinMaxCpu, channelMinMaxTensorflow, channelMinMaxWasm, channelMinMaxWebgpu } from './channel-minmax/index.js';
import { conv2dInt8Tensorflow } from './conv2d-int8/tensorflow.js';
import { conv2dInt8Webgpu } from './conv2d-int8/webgpu.js';
import { dequantizeInt8Cpu, dequantizeInt8Tensorflow, dequantizeInt8Wasm, dequantizeInt8Webgpu } from './dequantize-int8/index.js';
import { fakeQuantTensorflow } from './fake-quant/tensorflow.js';
import { fakeQuantWebgpu } from './fake-quant/webgpu.js';
import { histogramTensorflow } from './histogram/tensorflow.js';
import { histogramWebgpu } from './histogram/webgpu.js';
import { magnitudeThresholdCpu, magnitudeThresholdTensorflow, magnitudeThresholdWasm, magnitudeThresholdWebgpu } from './magnitude-threshold/index.js';
import { matMulInt8Tensorflow } from './matmul-int8/tensorflow.js';
import { matMulInt8Webgpu } from './matmul-int8/webgpu.js';
import { matMulInt8WeightOnlyCpu, matMulInt8WeightOnlyTensorflow, matMulInt8WeightOnlyWasm, matMulInt8WeightOnlyWebgpu } from './matmul-int8-weight-only/index.js';
import { quantizeInt8Cpu, quantizeInt8Tensorflow, quantizeInt8Wasm, quantizeInt8Webgpu } from './quantize-int8/index.js';
import type { GradientSpec, KernelSpec } from './types.js';
import { compileKernels } from './wasm/loader.js';

/** Every kernel we provide, for every backend; adding one = one file + one line here. */
export const KERNELS: KernelSpec[] = [
  conv2dBackpropFilterWasm,
  conv2dBackpropInputWasm,
  depthwiseBackpropFilterWasm,
  depthwiseBackpropInputWasm,
  maxPoolGradWasm,
  batchNormGradCpu, batchNormGradWasm,
  batchMatMulWasm,
  ...BROADCAST_BINARY_WASM,
  ...CHANNEL_SUM_WASM,
  identityWasm,
  matMulInt8Cpu, matMulInt8Wasm,
  conv2dInt8Cpu, conv2dInt8Wasm,
  fakeQuantCpu, fakeQuantWasm,
  histogramCpu, histogramWasm,
  ...FUSED_INT8_KERNELS,
  // WebGPU (WGSL) and the tf-op composites for the 'tensorflow' backend (tfjs-node); the ops added with them run
  // their JS reference on cpu and wasm.
  matMulInt8Webgpu, matMulInt8Tensorflow,
  conv2dInt8Webgpu, conv2dInt8Tensorflow,
  fakeQuantWebgpu, fakeQuantTensorflow,
  histogramWebgpu, histogramTensorflow,
  quantizeInt8Cpu, quantizeInt8Wasm, quantizeInt8Webgpu, quantizeInt8Tensorflow,
  dequantizeInt8Cpu, dequantizeInt8Wasm, dequantizeInt8Webgpu, dequantizeInt8Tensorflow,
  matMulInt8WeightOnlyCpu, matMulInt8WeightOnlyWasm, matMulInt8WeightOnlyWebgpu, matMulInt8WeightOnlyTensorflow,
  channelMinMaxCpu, channelMinMaxWasm, channelMinMaxWebgpu, channelMinMaxTensorflow,
  magnitudeThresholdCpu, magnitudeThresholdWasm, magnitudeThresholdWebgpu, magnitudeThresholdTensorflow,
];

/** Gradients of our kernels, and of tfjs kernels whose gradient we make cheaper (per kernel name, all backends). */
export const GRADIENTS: GradientSpec[] = [fakeQuantGradient, fusedBatchNormGradient];

/**
 * Registers every kernel for each backend that is registered in tfjs now (others are skipped: call again after
 * importing a backend). Idempotent. Our wasm kernels replace tfjs-backend-wasm's where both exist, so call it after
 * the backend packages are imported. Async only because browsers compile wasm modules over 4 KB asynchronously.
 */
export async function registerKernels(): Promise<void> {
  await compileKernels();
  for (const k of KERNELS) {
    if (!tf.findBackendFactory(k.backendName)) continue;
    const existing = tf.getKernel(k.kernelName, k.backendName);
    if (existing === k) continue;
    if (existing) {
      // A kernel that handles some cases itself hands the rest to the one it replaces.
      (k as KernelSpec & { replaces?: (previous: KernelSpec) => void }).replaces?.(existing);
      tf.unregisterKernel(k.kernelName, k.backendName);
    }
    tf.registerKernel(k);
  }
  for (const g of GRADIENTS) {
    if (tf.getGradient(g.kernelName) !== g) tf.registerGradient(g);
  }
}
