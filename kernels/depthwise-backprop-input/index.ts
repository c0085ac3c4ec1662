// DepthwiseConv2dNativeBackpropInput is a tfjs kernel that tfjs-backend-wasm lacks; the cpu backend keeps its own.
export { depthwiseBackpropInputWasm } from './wasm.js';
export { depthwiseBackpropInputRef } from './reference.js';
