// Conv2DBackpropFilter is a tfjs kernel (the gradient of tf.conv2d w.r.t. its filter); tfjs-backend-wasm has none.
// The cpu backend keeps its own implementation: it is the independent check in tests.
export { conv2dBackpropFilterWasm } from './wasm.js';
export { conv2dBackpropFilterRef } from './reference.js';
