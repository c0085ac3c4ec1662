import { onnx, type IModelProto } from '../formats/onnx/proto.js';

/**
 * ModelProto → bytes, for code that must bundle for a browser: formats/onnx/write.ts has the same one-liner
 * (encodeOnnx) beside Node file writing, which a browser bundle cannot take.
 */
export function encodeModel(model: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
