// Conv2DBackpropInput is a tfjs kernel (the gradient of tf.conv2d w.r.t. its input). Ours replaces
// tfjs-backend-wasm's; the cpu backend keeps its own implementation as the independent check in tests.
export { conv2dBackpropInputWasm } from './wasm.js';
export { conv2dBackpropInputRef } from './reference.js';
