import type * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import type { ProgressFn, WarnFn } from '../core/progress.js';
import type { Dataset } from '../data/types.js';
import type { SaveOptions } from '../formats/types.js';
import { INT8_FORMAT_VERSION } from '../runtime/format.js';
import { calibrate, type CalibrationResult } from './calibrate.js';
import { parseQuantConfig, settingsFor, type QuantConfig } from './config.js';
import { convertToInt8, type LayerReport } from './convert.js';
import { copyWeightsByLayer, ModelGraph } from './graph.js';
import type { ObserverName } from './observers/types.js';
import { prepareFloat, type PrepareResult } from './prepare.js';
import { runQat, type QatCallback, type QatSummary } from './qat/index.js';
import { parseQuantizeSpec, type QuantizeSpec } from './spec.js';
import { INT8_CLASS } from './support.js';
import { planWeightOnly, type WeightOnlyLayer } from './weight-only.js';

export interface QuantizeStepOptions {
  /** The float model; never modified (the result is a new model). */
  model: tf.LayersModel;
  /** `--quantize` value or its parsed form. */
  spec: QuantizeSpec | string;
  /** `--per-channel` (default true: one weight scale per output channel). */
  perChannel?: boolean;
  /** `--observer` for static/qat calibration (default minmax). */
  observer?: ObserverName;
  /** `--calib-samples` (default 512). */
  calibSamples?: number;
  /** The calibration split (never the test split); required by static and qat. */
  calibration?: Dataset;
  /** The training split; required by qat. */
  train?: Dataset;
  /** qat only: tfjs callbacks for the fine-tuning, bound to the QAT model (see runQat); other modes do not train. */
  callbacks?: readonly QatCallback[];
  /** A full config object (e.g. from a JSON file: overrides, exclusions); the flags above override it. */
  config?: unknown;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
}

export interface QuantizeReport {
  mode: QuantConfig['mode'];
  config: QuantConfig;
  /** int8 modes: one row per layer with weights; weight-only modes: each weight's storage. */
  layers: (LayerReport | WeightOnlyLayer)[];
  folded: PrepareResult['folded'];
  fused: PrepareResult['fused'];
  calibration?: Omit<CalibrationResult, 'ranges'>;
  qat?: QatSummary;
  warnings: string[];
}

export interface QuantizeStepResult {
  model: tf.LayersModel;
  /**
   * Pass to saveLayersModel: weightEncodings (weight-only: uint8/float16 storage; int8: the float16 scales and
   * biases) and the shrinkml format block.
   */
  saveOptions: Pick<SaveOptions, 'weightEncodings' | 'shrinkml'>;
  report: QuantizeReport;
}

function resolveConfig(o: QuantizeStepOptions, spec: QuantizeSpec): QuantConfig {
  const config = parseQuantConfig(o.config ?? {}, 'quantization config');
  config.mode = spec.mode;
  if (o.perChannel !== undefined) config.weights.perChannel = o.perChannel;
  if (o.observer !== undefined) config.activations = parseQuantConfig({ activations: { observer: o.observer } }, '--observer').activations;
  if (o.calibSamples !== undefined) config.calibration.samples = parseQuantConfig({ calibration: { samples: o.calibSamples } }, '--calib-samples').calibration.samples;
  return config;
}

function requireData(data: Dataset | undefined, what: string, mode: string): Dataset {
  if (!data) throw new ShrinkmlError('BAD_INPUT', `--quantize ${mode} needs ${what} data`, { subject: '--data', suggestion: 'pass --data mnist (or your own data)' });
  return data;
}

async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const copy = await ModelGraph.fromModel(model).build();
  copyWeightsByLayer(model, copy, new Set());
  return copy;
}

/**
 * The quantization step of `shrinkml compress`: prepare → calibrate (static) or train (qat) → convert.
 * Weight-only modes return a copy of the model plus the weightEncodings that store it as uint8/float16.
 */
export async function runQuantizeStep(o: QuantizeStepOptions): Promise<QuantizeStepResult> {
  const spec = typeof o.spec === 'string' ? parseQuantizeSpec(o.spec) : o.spec;
  const config = resolveConfig(o, spec);
  const warnings: string[] = [];
  const onWarn: WarnFn = (m) => { warnings.push(m); o.onWarn?.(m); };
  const base = { mode: config.mode, config, folded: [], fused: [], warnings };

  if (config.mode === 'weights:uint8' || config.mode === 'weights:float16') {
    const plan = planWeightOnly({ model: o.model, dtype: config.mode === 'weights:uint8' ? 'uint8' : 'float16', config, onWarn });
    return {
      model: await cloneModel(o.model),
      saveOptions: { weightEncodings: plan.weightEncodings, shrinkml: { quantization: { mode: config.mode } } },
      report: { ...base, layers: plan.layers },
    };
  }

  if (config.mode !== 'dynamic') requireData(o.calibration, 'calibration', config.mode);
  if (config.mode === 'qat') requireData(o.train, 'training', config.mode);
  const targets = (name: string) => {
    const layer = o.model.getLayer(name);
    return !settingsFor(config, { name, className: layer.getClassName() }).exclude;
  };
  const prepared = await prepareFloat({ model: o.model, targets, foldBatchNorm: config.foldBatchNorm, fuseActivations: config.fuseActivations });
  let float = prepared.model;
  try {
    let calibration: CalibrationResult | undefined;
    let qat: QatSummary | undefined;
    const calibrated = () => float.layers
      .filter((l) => l.getClassName() in INT8_CLASS && l.inboundNodes.length === 1 && targets(l.name)).map((l) => l.name);
    const observerFor = (name: string) => {
      const a = settingsFor(config, { name, className: float.getLayer(name).getClassName() }).activations;
      return { name: a.observer, options: a.observerOptions };
    };
    if (config.mode === 'static' || config.mode === 'qat') {
      calibration = await calibrate(float, requireData(o.calibration, 'calibration', config.mode), {
        samples: config.calibration.samples, batchSize: config.calibration.batchSize, layers: calibrated(),
        observer: observerFor, onProgress: o.onProgress,
      });
    }
    let ranges = calibration?.ranges;
    if (config.mode === 'qat') {
      const trained = await runQat({
        model: float, config, ranges: ranges!, train: requireData(o.train, 'training', 'qat'),
        validation: o.calibration, callbacks: o.callbacks, onProgress: o.onProgress,
      });
      float.dispose();
      float = trained.model;
      ranges = trained.ranges;
      qat = trained.summary;
    }
    const converted = await convertToInt8({ model: float, mode: config.mode === 'dynamic' ? 'dynamic' : 'static', config, ranges, onWarn });
    return {
      model: converted.model,
      saveOptions: {
        weightEncodings: converted.weightEncodings,
        shrinkml: {
          format: INT8_FORMAT_VERSION,
          quantization: { mode: config.mode, perChannel: config.weights.perChannel, bits: config.weights.bits, observer: calibration ? config.activations.observer : undefined, calibrationSamples: calibration?.samples },
        },
      },
      report: {
        ...base, layers: converted.layers, folded: prepared.folded, fused: prepared.fused,
        calibration: calibration && { observers: calibration.observers, samples: calibration.samples, seconds: calibration.seconds },
        qat,
      },
    };
  } finally {
    float.dispose();
  }
}

