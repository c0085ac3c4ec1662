/**
 * Lines for `shrinkml compress --help` on .onnx inputs (the issue asks --help to say what happens to Conv).
 * Kept here, next to the code they describe.
 */
export const ONNX_COMPRESS_HELP = [
  'ONNX models (.onnx):',
  '  --quantize dynamic   MatMul/Gemm → DynamicQuantizeLinear + MatMulInteger (uint8 activations, int8 per-column',
  '                       weights), fused by onnxruntime. Conv: int8 weights per output channel behind',
  '                       DequantizeLinear (onnxruntime\'s CPU ConvInteger runs only uint8 × uint8 with scalar zero',
  '                       points; the API\'s conv: \'integer\' emits that form). LSTM → DynamicQuantizeLSTM; GRU/RNN',
  '                       stay float (the report notes them).',
  '  --quantize static    QDQ: QuantizeLinear/DequantizeLinear on activations (uint8, ranges calibrated on --data),',
  '                       int8 per-channel weights, int32 biases; Conv, MatMul and Gemm. Needs opset >= 10',
  '                       (per-channel weights need opset 13; older models get per-tensor scales).',
  '  --quantize weights:float16|uint8|int8|int4   weight-only storage: smaller file, float compute. int4 is',
  '                       MatMulNBits (4-bit, block 32) for MatMul/Gemm, int8 per channel for other weights.',
  '  Weights inside If/Loop subgraphs are quantized like the main graph\'s. Models with external data files,',
  '  or ONNX IR 9/10 features (FLOAT8, INT4, metadata fields), are refused rather than rewritten lossily.',
].join('\n');
