import type { WarnFn } from '../core/progress.js';
import type { ModelProto } from '../formats/onnx/proto.js';
import { calibrateOnnx, type CalibrateOnnxOptions } from './calibrate.js';
import { defaultOnnxRuntime } from './default-runtime.js';
import { foldBatchNorms } from './fold.js';
import { absorbClamps } from './static-clamp.js';
import type { QuantizeReport } from './report.js';
import { FALLBACK_DEFAULTS, floatFallback, type FloatFallbackOptions } from './static-sensitivity.js';
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
  /**
   * Activation pairs whose quantization costs the most output fidelity stay float, measured on the first calibration
   * batches (./static-sensitivity.ts); on by default, `false` quantizes every planned pair.
   */
  fallback?: FloatFallbackOptions | false;
  /** Applied to the QDQ model before the fallback measures it (the caller's later passes), so it measures what is written. */
  finish?: (model: ModelProto) => ModelProto;
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
  const fallback = options.fallback === false ? undefined : options.fallback ?? {};
  const calibration = await calibrateOnnx({ ...options.calibration, model: folded, exclude: options.exclude, hold: fallback ? fallback.batches ?? FALLBACK_DEFAULTS.batches : 0 });
  const { model: quantized, report } = quantizeStatic(folded, {
    ranges: calibration.ranges, dims: calibration.dims, target: options.target, perChannel: options.perChannel, reduceRange: options.reduceRange, exclude: options.exclude,
    onWarn: options.onWarn, calibration: { observer: calibration.observer, samples: calibration.samples },
  });
  const finished = options.finish?.(quantized) ?? quantized;
  if (!fallback || !calibration.held.length || !report.activations?.length) return { model: absorb(finished, report), report, folded: foldedNodes };
  const runtime = options.calibration.runtime ?? await defaultOnnxRuntime();
  const f = await floatFallback({ float: folded, quantized: finished, pairs: report.activations.map((a) => a.tensor), batches: calibration.held, runtime, options: fallback });
  report.fallback = f.report;
  if (f.report.float.length) {
    const kept = new Set(f.report.float.map((x) => x.tensor));
    report.activations = report.activations.filter((a) => !kept.has(a.tensor));
    (report.notes ??= []).push(`${kept.size} activation pairs left float by sensitivity (calibration cosine ${f.report.before.toFixed(4)} → ${f.report.after.toFixed(4)}): ${[...kept].join(', ')}`);
  }
  return { model: absorb(f.model, report), report, folded: foldedNodes };
}

/** Max/Min clamps the Q after them now does (./static-clamp.ts), dropped last: the fallback's pair removal needs them. */
function absorb(model: ModelProto, report: QuantizeReport): ModelProto {
  const { model: out, absorbed } = absorbClamps(model);
  if (absorbed.length) (report.notes ??= []).push(`${absorbed.length} Max/Min clamps by a constant dropped: the QuantizeLinear after each clamps the same`);
  return out;
}
