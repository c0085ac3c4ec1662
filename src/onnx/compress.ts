import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn, WarnFn } from '../core/progress.js';
import { loadData } from '../data/load.js';
import { DEFAULT_CALIBRATION_SIZE } from '../data/splits.js';
import type { Dataset } from '../data/types.js';
import { loadOnnx } from '../formats/onnx/adapter.js';
import type { ObserverName, ObserverOptions } from '../quantize/observers/types.js';
import { pruneChannelsOnnx, type ChannelPruneOptions, type ChannelPruneReport } from './channels.js';
import { quantizeDynamic } from './dynamic.js';
import type { StagedOutput } from '../formats/atomic.js';
import { writeCompressedOnnx, type CompressedOnnxOutput, type OnnxEvaluation } from './output.js';
import { pruneOnnx, type PruneOnnxOptions, type PruneReport } from './prune.js';
import type { QuantizeReport } from './report.js';
import type { OnnxRuntime } from './ort.js';
import { calibrateAndQuantizeStatic } from './static-calibrated.js';
import { verifyOnnx, type VerifyResult } from './verify.js';
import { storeWeights, type WeightFormat, type WeightOnlyReport } from './weight-only.js';

/**
 * `shrinkml compress model.onnx`: read (with limits), structured then unstructured pruning, then INT8 (dynamic, or
 * static QDQ calibrated on data) or weight-only storage, verification in onnxruntime, atomic write of the model
 * with its lineage (metadata_props and `<name>.lineage.json`), then, with `evaluation`, its measurement.
 */
export interface CompressOnnxOptions {
  /** The input .onnx file. */
  path: string;
  /** The output .onnx file (never the input). */
  out: string;
  force?: boolean;
  /**
   * Write into this staged output (opened on `out`) instead of committing: the caller adds the reports and commits
   * the set (see src/pipeline/output.ts), so nothing appears at `out` unless everything was measured.
   */
  stage?: StagedOutput;
  /** Record absolute paths of the input and data in the lineage (default: relative to the output's folder). */
  absolutePaths?: boolean;
  /** Structured: remove this fraction of each Conv's output channels. */
  pruneChannels?: ChannelPruneOptions;
  /** Unstructured magnitude pruning of Conv/Gemm/MatMul weights. */
  prune?: PruneOnnxOptions;
  /** 'dynamic': MatMul/Gemm INT8 with run-time activation scales (Conv stays float); 'static': QDQ, needs calibration. */
  quantize?: 'dynamic' | 'static';
  /** Weight-only storage (smaller file, float compute); not combined with quantize. */
  weightStorage?: WeightFormat | 'fp16';
  /** Data for static calibration and for verification: a Dataset or a loadData source ('mnist', a path). */
  calibration?: {
    data: string | Dataset; limit?: number; observer?: ObserverName; observerOptions?: ObserverOptions; batchSize?: number;
    /** Where calibration runs (default onnxruntime-node); verification always uses onnxruntime-node. */
    runtime?: OnnxRuntime;
  };
  perChannel?: boolean;
  reduceRange?: boolean;
  /** Node names left alone by every pass. */
  exclude?: string[];
  allowNonFinite?: boolean;
  /** Measure the written output against the input (recorded in its lineage and returned as `measurement`). */
  evaluation?: OnnxEvaluation;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
}

export interface CompressOnnxResult extends CompressedOnnxOutput {
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

/**
 * Prunes and/or quantizes an .onnx model (dynamic, static QDQ with calibration, weight storage) and reports what
 * changed.
 */
export async function compressOnnx(options: CompressOnnxOptions): Promise<CompressOnnxResult> {
  if (options.quantize && options.weightStorage) {
    throw new ShrinkmlError('BAD_INPUT', 'choose INT8 quantization or weight-only storage, not both', { subject: '--quantize' });
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
    ({ model, report: report.quantize, folded: report.foldedBatchNorms } = await calibrateAndQuantizeStatic(model, {
      calibration: { dataset: dataset!, observer: c.observer, observerOptions: c.observerOptions, batchSize: c.batchSize, runtime: c.runtime, onProgress: options.onProgress },
      perChannel: options.perChannel, reduceRange: options.reduceRange, exclude, onWarn: options.onWarn,
    }));
  } else if (options.weightStorage) {
    ({ model, report: report.weightOnly } = storeWeights(model, { format: options.weightStorage }));
  }
  report.verify = await verifyOnnx({ reference: loaded.model, candidate: model, dataset, labels: { reference: options.path, candidate: `${options.out} (compressed)` } });
  const written = await writeCompressedOnnx({ model, input: loaded, options, report, calibration: dataset });
  return { ...written, inputBytes: loaded.bytes.length, report };
}

async function calibrationSet(c: NonNullable<CompressOnnxOptions['calibration']>): Promise<Dataset> {
  if (typeof c.data !== 'string') return c.data;
  return loadData({ source: c.data, split: 'calibration', limit: c.limit ?? DEFAULT_CALIBRATION_SIZE });
}
