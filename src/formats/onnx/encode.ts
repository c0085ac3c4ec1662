import { onnx, type IModelProto } from './proto.js';

/**
 * ModelProto → bytes. protobufjs writes only the fields present, in schema order. Its own module (no Node
 * imports) so browser bundles (src/onnx/browser.ts) take it without write.ts's file writing.
 */
export function encodeOnnx(model: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
