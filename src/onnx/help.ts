/**
 * Lines for `shrinkml compress --help` on .onnx inputs (the issue asks --help to say what happens to Conv).
 * Kept here, next to the code they describe.
 */
export const ONNX_COMPRESS_HELP = [
  'ONNX models (.onnx):',
  '  --quantize dynamic   MatMul/Gemm → DynamicQuantizeLinear + MatMulInteger (uint8 activations, int8 per-column',
  '                       weights), fused by onnxruntime. Conv stays float: onnxruntime\'s ConvInteger CPU kernel',
  '                       takes only uint8 weights; the report names the Conv nodes left so (quantize.notes).',
  '                       Use --quantize static for convolutional models.',
  '  --quantize static    QDQ: QuantizeLinear/DequantizeLinear on activations (uint8, ranges calibrated on --data),',
  '                       int8 per-channel weights, int32 biases; Conv, MatMul and Gemm. Needs opset >= 10',
  '                       (per-channel weights need opset 13; older models get per-tensor scales).',
  '  weight-only fp16/int8 storage shrinks the file but computes in float.',
  '  Only the main graph is compressed; If/Loop subgraphs are kept as they are. Models with external data files,',
  '  or ONNX IR 9/10 features (FLOAT8, INT4, metadata fields), are refused rather than rewritten lossily.',
].join('\n');
