import type { WarnFn } from '../core/progress.js';
import type { ModelProto } from '../formats/onnx/proto.js';
import { calibrateOnnx, type CalibrateOnnxOptions } from './calibrate.js';
import { foldBatchNorms } from './fold.js';
import type { QuantizeReport } from './report.js';
import { quantizeStatic, type StaticQuantizeOptions } from './static.js';

/**
 * Static INT8 in one call, the phases in order: prepare (fold BatchNormalization into Conv, so calibration sees the
 * graph that gets quantized), calibrate in an onnxruntime of the caller's choice, convert to QDQ. Browser-safe with
 * `calibration.runtime: webRuntime()`; the compress pipeline's ptq step uses it with onnxruntime-node.
 */
export interface CalibrateAndQuantizeOptions {
  /** Data, observer, batch size, runtime and progress of the calibration (see ./calibrate.ts). */
  calibration: Omit<CalibrateOnnxOptions, 'model' | 'exclude' | 'tensors'>;
  perChannel?: boolean;
  reduceRange?: boolean;
  /** Node names left float. */
  exclude?: readonly string[];
  /** The runtime the Q/DQ form is for: 'cpu' (default, fused by onnxruntime) or 'webgpu' (see ./static.ts). */
  target?: StaticQuantizeOptions['target'];
  onWarn?: WarnFn;
}

/** The QDQ model `calibrateAndQuantizeStatic` made, with what was quantized or skipped and the BatchNorms folded. */
export interface CalibratedStaticModel {
  model: ModelProto;
  report: QuantizeReport;
  /** BatchNormalization nodes folded into the Conv before them. */
  folded: { conv: string; batchNorm: string }[];
}

/**
 * Static QDQ int8 for an ONNX model: calibrates in the onnxruntime given (node or web) and quantizes with the
 * ranges.
 */
export async function calibrateAndQuantizeStatic(input: ModelProto, options: CalibrateAndQuantizeOptions): Promise<CalibratedStaticModel> {
  const { model: folded, folded: foldedNodes } = foldBatchNorms(input);
  const calibration = await calibrateOnnx({ ...options.calibration, model: folded, exclude: options.exclude });
  const { model, report } = quantizeStatic(folded, {
    ranges: calibration.ranges, dims: calibration.dims, target: options.target, perChannel: options.perChannel, reduceRange: options.reduceRange, exclude: options.exclude,
    onWarn: options.onWarn, calibration: { observer: calibration.observer, samples: calibration.samples },
  });
  return { model, report, folded: foldedNodes };
}
