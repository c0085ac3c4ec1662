import type { WarnFn } from '../core/progress.js';
import { ShrinkmlError } from '../core/errors.js';
import type { ModelProto } from '../formats/onnx/proto.js';
import { quantizeDynamic, type DynamicConvForm } from './dynamic.js';
import { foldBatchNorms } from './fold.js';
import { defaultOpset, upgradeOpset } from './opset/index.js';
import type { QuantizeReport } from './report.js';
import { calibrateAndQuantizeStatic, type CalibrateAndQuantizeOptions } from './static-calibrated.js';
import type { Feeds } from './calibration-batches.js';
import { FALLBACK_DEFAULTS } from './static-sensitivity.js';
import { storeWeights, type WeightFormat, type WeightOnlyReport } from './weight-only.js';
import { weightFallback, type WeightFallbackOptions, type WeightFallbackReport } from './weight-sensitivity.js';
import { defaultOnnxRuntime } from './default-runtime.js';

/**
 * The ONNX quantization modes as data: `--quantize <mode>` names a row, and the compress pipeline calls its pass, a
 * pure function from a model to a new model plus its report (the caller's model is never edited). Only static needs
 * calibration feeds; every other pass is synchronous at heart and needs nothing but the model.
 */
export type OnnxQuantizeMode = 'dynamic' | 'static' | `weights:${WeightFormat}`;

export interface OnnxQuantizeOptions {
  perChannel?: boolean;
  reduceRange?: boolean;
  /** Node names left float. */
  exclude?: readonly string[];
  /** dynamic: MatMul/Gemm nodes given int8 weights and float compute (./dynamic.ts `weightOnly`). */
  weightOnly?: readonly string[];
  /** Node name → the weight axis its int8 weight-only scales run along (./weight-only.ts `axes`). */
  axes?: Readonly<Record<string, number>>;
  /** weights:float16: node name → axis; its weight stored as two int8 terms (./weight-only.ts `pairs`). */
  pairs?: Readonly<Record<string, number>>;
  /** dynamic: how Conv is quantized (see ./dynamic-conv.ts). */
  conv?: DynamicConvForm;
  /** Names the model in errors (an op that blocks the opset upgrade). */
  file?: string;
  /** static: the runtime the Q/DQ form is for ('cpu' default; 'webgpu', see ./static.ts WEBGPU_QDQ). */
  target?: 'cpu' | 'webgpu';
  /** static: activation pairs left float by measured sensitivity (./static-sensitivity.ts); `false` quantizes all. */
  fallback?: CalibrateAndQuantizeOptions['fallback'];
  /**
   * With calibration data in an array: nodes whose int8/int4 weights cost the most output fidelity stay float, or take
   * a form at no extra bytes, while the weights stay 3.5× smaller (float16: a Conv weight as two int8 terms, aiming
   * at 0.9999 at 1.9×) (./weight-sensitivity.ts); `false` turns it off.
   */
  weightFallback?: WeightFallbackOptions | false;
  /** static: calibration data, observer and runtime. */
  calibration?: CalibrateAndQuantizeOptions['calibration'];
  onWarn?: WarnFn;
}

export interface OnnxQuantizeResult {
  model: ModelProto;
  /** 'quantize' for dynamic/static (node by node), 'weights' for weight-only modes (bits of every weight). */
  report: { quantize?: QuantizeReport; weights?: WeightOnlyReport; foldedBatchNorms?: { conv: string; batchNorm: string }[]; weightFallback?: WeightFallbackReport };
  /** Lines for a person: what stayed float by design and why. */
  notes: string[];
}

export interface OnnxQuantizeModeInfo {
  /** Lowest default-domain opset the emitted ops need; older models are upgraded to it (./opset) or refused. */
  minOpset: number;
  /** The opset per-channel scales need (per-axis DequantizeLinear is 13); upgraded to when possible, else per tensor. */
  perChannelOpset: number;
  needsCalibration: boolean;
  run(model: ModelProto, options: OnnxQuantizeOptions): Promise<OnnxQuantizeResult>;
}

/**
 * The model at the opset a mode needs: upgraded in-tool (./opset/upgrade.ts rewrites each op whose form changed) to
 * the per-channel opset when per-channel scales are asked for, else to the minimum; an op that blocks the upgrade is
 * an error below the minimum and a note (per-tensor scales) above it.
 */
function atOpset(model: ModelProto, info: Pick<OnnxQuantizeModeInfo, 'minOpset' | 'perChannelOpset'>, o: OnnxQuantizeOptions, notes: string[]): ModelProto {
  const from = defaultOpset(model);
  const want = o.perChannel === false ? info.minOpset : Math.max(info.minOpset, info.perChannelOpset);
  if (from >= want) return model;
  const note = (to: number, rewritten: Record<string, number>) => {
    const ops = Object.entries(rewritten).map(([op, n]) => `${op}: ${n}`).join(', ');
    notes.push(`opset upgraded from ${from} to ${to}${ops ? ` (rewritten: ${ops})` : ''}`);
  };
  try {
    const up = upgradeOpset(model, want, { file: o.file });
    note(up.to, up.rewritten);
    return up.model;
  } catch (e) {
    if (from >= info.minOpset) { notes.push(`per-tensor scales: ${(e as Error).message}`); return model; }
    if (want === info.minOpset) throw e;
    const up = upgradeOpset(model, info.minOpset, { file: o.file });
    note(up.to, up.rewritten);
    notes.push(`per-tensor scales: opset ${want} not reachable (${(e as Error).message})`);
    return up.model;
  }
}

const weights = (format: WeightFormat): OnnxQuantizeModeInfo => {
  // Cast exists at every opset in use; DequantizeLinear arrived in 10, per-axis in 13.
  const info = { minOpset: format === 'float16' ? 1 : 10, perChannelOpset: format === 'int8' || format === 'int4' ? 13 : 1 };
  return {
    ...info,
    needsCalibration: false,
    run: async (model, o) => {
      const notes: string[] = [];
      const { model: folded, folded: bns } = foldBatchNorms(atOpset(model, info, o, notes));
      if (bns.length) notes.push(`${bns.length} BatchNormalization folded into the Conv before it`);
      const { model: out, report } = storeWeights(folded, { format, exclude: o.exclude, axes: o.axes, pairs: o.pairs });
      const kept = report.weights.filter((w) => w.bits === 32 && w.reason && !w.reason.startsWith('fewer than'));
      notes.push(...(report.notes ?? []), ...kept.map((w) => `${w.weight} stays float32: ${w.reason}`));
      return { model: out, report: { weights: report }, notes };
    },
  };
};

const PASSES: Readonly<Record<OnnxQuantizeMode, OnnxQuantizeModeInfo>> = {
  dynamic: {
    minOpset: 11,
    perChannelOpset: 13,
    needsCalibration: false,
    run: async (model, o) => {
      const notes: string[] = [];
      const { model: input, folded: bns } = foldBatchNorms(atOpset(model, PASSES.dynamic, o, notes));
      if (bns.length) notes.push(`${bns.length} BatchNormalization folded into the Conv before it`);
      const { model: out, report } = quantizeDynamic(input, { perChannel: o.perChannel, reduceRange: o.reduceRange, exclude: o.exclude, weightOnly: o.weightOnly, axes: o.axes, conv: o.conv, onWarn: o.onWarn });
      return { model: out, report: { quantize: report }, notes: [...notes, ...(report.notes ?? [])] };
    },
  },
  static: {
    minOpset: 10,
    perChannelOpset: 13,
    needsCalibration: true,
    run: async (model, o) => {
      if (!o.calibration) throw new ShrinkmlError('BAD_INPUT', 'static quantization needs calibration data', { subject: '--data' });
      const notes: string[] = [];
      const input = atOpset(model, PASSES.static, o, notes);
      // Weights static QDQ does not reach (If/Loop branches, whose tensors calibration cannot observe; LSTM/GRU;
      // Gather tables; ops it does not plan) are stored int8 weight-only, so the file is smaller either way; before
      // the float fallback measures, so it measures the file written.
      let rest: WeightOnlyReport | undefined;
      const finish = (m: ModelProto) => {
        const s = storeWeights(m, { format: 'int8', exclude: o.exclude, axes: o.axes });
        if (!s.report.weights.some((w) => w.bits === 8)) return m;
        rest = s.report;
        return s.model;
      };
      const r = await calibrateAndQuantizeStatic(input, { calibration: o.calibration, perChannel: o.perChannel, reduceRange: o.reduceRange, exclude: o.exclude, target: o.target, fallback: o.fallback, finish, onWarn: o.onWarn });
      const stored = rest?.weights.filter((w) => w.bits === 8) ?? [];
      if (stored.length) notes.push(`${stored.length} weights static QDQ does not reach (subgraphs, recurrent, unplanned ops) stored int8 weight-only`);
      return { model: r.model, report: { quantize: r.report, weights: rest, foldedBatchNorms: r.folded }, notes: [...notes, ...(r.report.notes ?? [])] };
    },
  },
  'weights:float16': weights('float16'),
  'weights:uint8': weights('uint8'),
  'weights:int8': weights('int8'),
  'weights:int4': weights('int4'),
};

/**
 * A mode's pass, then (given calibration batches in an array, so they can be read again) the weight fallback: the
 * pass rerun with the nodes it picks excluded or in another form, whatever the mode does with them.
 */
function measured(name: OnnxQuantizeMode, info: OnnxQuantizeModeInfo): OnnxQuantizeModeInfo {
  // float16's own targets (cosine 0.9999 at 1.9×, gains of 0.0001 count); its only forms are float32 and the int8 pair, both of Conv weights.
  const float16 = name === 'weights:float16';
  return {
    ...info,
    run: async (model, o) => {
      const first = await info.run(model, o);
      // A recurrent model's batches are a sequence, run in order with the state fed back (up to 256 steps: the error a state accumulates shows late); otherwise
      // a few spread over the whole set, as the first batches of a recording are its leading silence.
      const all = Array.isArray(o.calibration?.batches) ? o.calibration.batches as Feeds[] : [];
      const state = o.calibration?.state;
      const n = Math.min(all.length, state ? 256 : 2 * FALLBACK_DEFAULTS.batches);
      const batches = state ? all.slice(0, n) : Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
      if (o.weightFallback === false || !batches.length) return first;
      const runtime = o.calibration?.runtime ?? await defaultOnnxRuntime();
      const { result, report } = await weightFallback({
        float: model, first, exclude: o.exclude ?? [], run: (c) => info.run(model, { ...o, ...c }), batches, state, runtime,
        options: float16 ? { cosine: 0.9999, minRatio: 1.9, minGain: 0.0001, ...o.weightFallback } : o.weightFallback, convForm: float16 ? 'pair' : 'axis',
        // Dynamic's integer MatMul/Gemm can also run on dequantized int8 weights: same bytes, no activation rounding.
        weightOnlyOps: name === 'dynamic' ? new Set(['MatMul', 'Gemm']) : undefined,
      });
      if (!report.float.length) return first;
      result.report.weightFallback = report;
      const picked = (form: string, what: (nodes: string) => string) => {
        const nodes = report.float.filter((f) => f.form === form).map((f) => `'${f.node}'`);
        return nodes.length ? [what(nodes.join(', '))] : [];
      };
      const along = (form: string) => report.float.filter((f) => f.form === form).map((f) => `'${f.node}' along axis ${f.axis}`);
      const [axes, pairs] = [along('axis'), along('pair')];
      const changed = [...picked('float', (n) => `weights of ${n} left float`), ...picked('weight-only', (n) => `${n} int8 weight-only (float activations)`),
        ...(axes.length ? [`int8 scales of ${axes.join(', ')}`] : []), ...(pairs.length ? [`two int8 terms for ${pairs.join(', ')}`] : [])];
      result.notes.push(`${changed.join(', ')} by sensitivity (calibration cosine ${report.before.toFixed(4)} → ${report.after.toFixed(4)}, weights ${report.ratio.toFixed(2)}× smaller)`);
      return result;
    },
  };
}

export const ONNX_QUANTIZE_MODES: Readonly<Record<OnnxQuantizeMode, OnnxQuantizeModeInfo>> = Object.fromEntries(
  Object.entries(PASSES).map(([name, info]) => [name, measured(name as OnnxQuantizeMode, info)]),
) as Record<OnnxQuantizeMode, OnnxQuantizeModeInfo>;

/** The mode named by `--quantize`, or a typed error listing the modes. */
export function onnxQuantizeMode(name: string): OnnxQuantizeModeInfo & { name: OnnxQuantizeMode } {
  const key = name.trim().toLowerCase() as OnnxQuantizeMode;
  const info = ONNX_QUANTIZE_MODES[key];
  if (!info) {
    throw new ShrinkmlError('UNSUPPORTED', `--quantize ${name}: ONNX models take ${Object.keys(ONNX_QUANTIZE_MODES).join(', ')}`, { subject: '--quantize' });
  }
  return { ...info, name: key };
}
