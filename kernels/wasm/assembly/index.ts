// @ts-nocheck -- AssemblyScript entry, compiled by kernels/wasm/build.mjs, not by tsc.
export { conv2dBackpropFilter, conv2dBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput, padChannels, conv2dBackpropInputDot,
  unpadChannels } from './conv';
export { widenRows, gemmI8 } from './int8';
export { packConvI8, convI8 } from './int8-conv';
export { fakeQuant, histogram } from './quant';
export { maxPoolGrad } from './pool';
export { quantizeRows, maxPoolI8, avgPoolI8, addI8 } from './int8-fused';
export { depthwiseI8 } from './int8-depthwise';
export { batchNormGrad } from './batchnorm';
export { matmulF32, transposeF32 } from './matmul';
export { suffixBinary } from './broadcast';
export { channelSum } from './reduce';
