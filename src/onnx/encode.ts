/** The browser-safe encoder under the name src/onnx has exported since calibration moved to any onnxruntime. */
export { encodeOnnx as encodeModel } from '../formats/onnx/encode.js';
