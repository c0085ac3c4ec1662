import type { ProgressFn, WarnFn } from '../core/progress.js';
import { ShrinkmlError } from '../core/errors.js';
import { loadModel } from '../formats/index.js';
import { compressOnnx } from '../onnx/compress.js';
import type { ObserverName } from '../quantize/observers/types.js';
import { compressModel } from './compress.js';
import { configFromFlags } from './flags.js';

/**
 * onnxruntime's `quantize_dynamic` / `quantize_static`, file to file, for tfjs Layers models (a folder or model.json)
 * and .onnx files alike. Built on the compress entry points the CLI uses (compressModel for tfjs, compressOnnx for
 * ONNX), so outputs are written atomically, never over the input, with lineage and reports beside them.
 */
export interface QuantizeFilesOptions {
  /** Per-output-channel weight scales (default true). */
  perChannel?: boolean;
  /** Static: how activation ranges are chosen from the calibration data (default entropy for tfjs, minmax for ONNX). */
  observer?: ObserverName;
  /** Static: calibration samples to use (default 512). */
  calibrationSamples?: number;
  /** Replace an existing output. */
  force?: boolean;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
}

/** What quantizeDynamic/quantizeStatic wrote, and in which format. */
export interface QuantizeFilesResult {
  /** The written model: model.json for tfjs, the .onnx file for ONNX. */
  out: string;
  format: 'layers' | 'onnx';
}

const isOnnx = (path: string) => path.toLowerCase().endsWith('.onnx');

async function quantizeFile(mode: 'dynamic' | 'static', input: string, output: string, data: string | undefined,
  o: QuantizeFilesOptions): Promise<QuantizeFilesResult> {
  if (isOnnx(input)) {
    const r = await compressOnnx({
      path: input, out: output, force: o.force, quantize: mode, perChannel: o.perChannel ?? true, onProgress: o.onProgress, onWarn: o.onWarn,
      calibration: data === undefined ? undefined : { data, limit: o.calibrationSamples ?? 512, observer: o.observer },
    });
    return { out: r.path, format: 'onnx' };
  }
  const loaded = await loadModel(input);
  if (loaded.kind !== 'layers') {
    throw new ShrinkmlError('UNSUPPORTED', `${input}: ${mode} int8 quantization takes a tfjs Layers model or an .onnx file`, {
      subject: input, suggestion: 'graph models take weight-only storage: shrinkml compress --quantize weights:int8',
    });
  }
  try {
    const config = configFromFlags({ quantize: mode, perChannel: o.perChannel, observer: o.observer, calibSamples: data === undefined ? undefined : o.calibrationSamples });
    const r = await compressModel({
      input: loaded, config, out: output, force: o.force, latency: false, onProgress: o.onProgress, onWarn: o.onWarn,
      data: data === undefined ? undefined : { source: data, split: 'calibration', limit: o.calibrationSamples ?? 512 },
    });
    return { out: r.modelJsonPath, format: 'layers' };
  } finally {
    loaded.model.dispose();
  }
}

/** int8 weights, activation scales computed per batch at run time; no data needed. `input` is never modified. */
export function quantizeDynamic(input: string, output: string, options: QuantizeFilesOptions = {}): Promise<QuantizeFilesResult> {
  return quantizeFile('dynamic', input, output, undefined, options);
}

/**
 * int8 weights and activations, activation ranges calibrated on `calibrationData` (a loadData source: 'mnist', a
 * folder of IDX files, `x.npy`), the calibration split of it. `input` is never modified.
 */
export function quantizeStatic(input: string, output: string, calibrationData: string, options: QuantizeFilesOptions = {}): Promise<QuantizeFilesResult> {
  return quantizeFile('static', input, output, calibrationData, options);
}
