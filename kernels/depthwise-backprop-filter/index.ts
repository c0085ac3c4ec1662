// DepthwiseConv2dNativeBackpropFilter is a tfjs kernel that tfjs-backend-wasm lacks; the cpu backend keeps its own.
export { depthwiseBackpropFilterWasm } from './wasm.js';
export { depthwiseBackpropFilterRef } from './reference.js';
