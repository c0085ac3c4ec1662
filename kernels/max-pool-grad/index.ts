// MaxPoolGrad is a tfjs kernel (gradient of tf.maxPool). tfjs-backend-wasm's is wrong for some shapes, which made
// CNN training on wasm diverge from cpu; ours replaces it. The cpu backend keeps its own as the independent check.
export { maxPoolGradWasm } from './wasm.js';
export { maxPoolGradRef } from './reference.js';
