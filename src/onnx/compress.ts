import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn, WarnFn } from '../core/progress.js';
import { loadData } from '../data/load.js';
import { DEFAULT_CALIBRATION_SIZE } from '../data/splits.js';
import type { Dataset } from '../data/types.js';
import { loadOnnx } from '../formats/onnx/adapter.js';
import { writeOnnx } from '../formats/onnx/write.js';
import type { ObserverName, ObserverOptions } from '../quantize/observers/types.js';
import { calibrateOnnx } from './calibrate.js';
import { pruneChannelsOnnx, type ChannelPruneOptions, type ChannelPruneReport } from './channels.js';
import { quantizeDynamic } from './dynamic.js';
import { foldBatchNorms } from './fold.js';
import { pruneOnnx, type PruneOnnxOptions, type PruneReport } from './prune.js';
import type { QuantizeReport } from './report.js';
import { quantizeStatic } from './static.js';
import { verifyOnnx, type VerifyResult } from './verify.js';
import { storeWeights, type WeightOnlyReport } from './weight-only.js';

/**
 * `shrinkml compress model.onnx`: read (with limits), structured then unstructured pruning, then INT8 (dynamic, or
 * static QDQ calibrated on data) or weight-only storage, verification in onnxruntime, atomic write.
 */
export interface CompressOnnxOptions {
  /** The input .onnx file. */
  path: string;
  /** The output .onnx file (never the input). */
  out: string;
  force?: boolean;
  /** Structured: remove this fraction of each Conv's output channels. */
  pruneChannels?: ChannelPruneOptions;
  /** Unstructured magnitude pruning of Conv/Gemm/MatMul weights. */
  prune?: PruneOnnxOptions;
  /** 'dynamic': MatMul/Gemm INT8 with run-time activation scales (Conv stays float); 'static': QDQ, needs calibration. */
  quantize?: 'dynamic' | 'static';
  /** Weight-only storage (smaller file, float compute); not combined with quantize. */
  weightStorage?: 'fp16' | 'int8';
  /** Data for static calibration and for verification: a Dataset or a loadData source ('mnist', a path). */
  calibration?: { data: string | Dataset; limit?: number; observer?: ObserverName; observerOptions?: ObserverOptions; batchSize?: number };
  perChannel?: boolean;
  reduceRange?: boolean;
  /** Node names left alone by every pass. */
  exclude?: string[];
  allowNonFinite?: boolean;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
}

export interface CompressOnnxResult {
  path: string;
  bytes: number;
  inputBytes: number;
  report: {
    channels?: ChannelPruneReport;
    prune?: PruneReport;
    quantize?: QuantizeReport;
    weightOnly?: WeightOnlyReport;
    /** Static only: BatchNormalization nodes folded into the Conv before them. */
    foldedBatchNorms?: { conv: string; batchNorm: string }[];
    /** Output vs input in onnxruntime; undefined when no input could be made (several or non-float inputs). */
    verify?: VerifyResult;
  };
}

export async function compressOnnx(options: CompressOnnxOptions): Promise<CompressOnnxResult> {
  if (options.quantize && options.weightStorage) {
    throw new ShrinkmlError('BAD_INPUT', 'choose INT8 quantization or weight-only storage, not both', { subject: '--weight-storage' });
  }
  if (options.quantize === 'static' && !options.calibration) {
    throw new ShrinkmlError('BAD_INPUT', 'static quantization needs calibration data', { subject: '--data', suggestion: 'pass --data mnist (or a path), or use --quantize dynamic' });
  }
  const loaded = await loadOnnx(options.path, { allowNonFinite: options.allowNonFinite, onWarn: options.onWarn });
  const exclude = options.exclude;
  let model = loaded.model;
  const report: CompressOnnxResult['report'] = {};
  if (options.pruneChannels) ({ model, report: report.channels } = pruneChannelsOnnx(model, { exclude, ...options.pruneChannels }));
  if (options.prune) ({ model, report: report.prune } = pruneOnnx(model, { exclude, ...options.prune }));
  const dataset = options.calibration && await calibrationSet(options.calibration);
  if (options.quantize === 'dynamic') {
    ({ model, report: report.quantize } = quantizeDynamic(model, { exclude, perChannel: options.perChannel, reduceRange: options.reduceRange, onWarn: options.onWarn }));
  } else if (options.quantize === 'static') {
    const c = options.calibration!;
    ({ model, folded: report.foldedBatchNorms } = foldBatchNorms(model));
    const calibration = await calibrateOnnx({
      model, dataset: dataset!, observer: c.observer, observerOptions: c.observerOptions, batchSize: c.batchSize, exclude, onProgress: options.onProgress,
    });
    ({ model, report: report.quantize } = quantizeStatic(model, {
      ranges: calibration.ranges, perChannel: options.perChannel, reduceRange: options.reduceRange, exclude, onWarn: options.onWarn,
      calibration: { observer: calibration.observer, samples: calibration.samples },
    }));
  } else if (options.weightStorage) {
    ({ model, report: report.weightOnly } = storeWeights(model, { format: options.weightStorage }));
  }
  report.verify = await verifyOnnx({ reference: loaded.model, candidate: model, dataset });
  const written = await writeOnnx({ model, out: options.out, force: options.force });
  return { path: written.path, bytes: written.bytes, inputBytes: loaded.bytes.length, report };
}

async function calibrationSet(c: NonNullable<CompressOnnxOptions['calibration']>): Promise<Dataset> {
  if (typeof c.data !== 'string') return c.data;
  return loadData({ source: c.data, split: 'calibration', limit: c.limit ?? DEFAULT_CALIBRATION_SIZE });
}
