import type { ProgressFn, WarnFn } from '../core/progress.js';
import { ShrinkmlError } from '../core/errors.js';
import { disposeLoaded, loadModel } from '../formats/index.js';
import type { ObserverName } from '../quantize/observers/types.js';
import { compress } from './api.js';

/**
 * onnxruntime's `quantize_dynamic` / `quantize_static`, file to file, for tfjs Layers models (a folder or model.json)
 * (static: graph models too) and .onnx files alike. Built on compress (the one pipeline the CLI uses, for both formats), so outputs are written atomically, never over the input, with lineage and reports beside them.
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
  format: 'layers' | 'graph' | 'onnx';
}

async function quantizeFile(mode: 'dynamic' | 'static', input: string, output: string, data: string | undefined,
  o: QuantizeFilesOptions): Promise<QuantizeFilesResult> {
  const loaded = await loadModel(input);
  try {
    if (loaded.kind === 'graph' && mode === 'dynamic') {
      throw new ShrinkmlError('UNSUPPORTED', `${input}: dynamic int8 quantization takes a tfjs Layers model or an .onnx file`, {
        subject: input, suggestion: 'graph models take static int8 (quantizeStatic, calibration data) or weight-only storage: shrinkml compress --quantize weights:int8',
      });
    }
    // The one compress pipeline, for either format: the same ptq step, lineage and reports.
    const r = await compress(loaded, output, {
      quantize: mode, perChannel: o.perChannel ?? true, observer: o.observer, calibSamples: data === undefined ? undefined : o.calibrationSamples,
      force: o.force, onProgress: o.onProgress, onWarn: o.onWarn,
      data: data === undefined ? undefined : { source: data, split: 'calibration', limit: o.calibrationSamples ?? 512 },
    });
    return { out: r.modelJsonPath, format: loaded.kind };
  } finally {
    disposeLoaded(loaded);
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
