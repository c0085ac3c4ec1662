import { ShrinkmlError } from '../../core/errors.js';
import { loadData } from '../../data/index.js';
import { loadOnnx } from '../../formats/onnx/index.js';
import { compressOnnx, type CompressOnnxOptions } from '../../onnx/index.js';
import { measureOnnx } from '../../onnx/measure.js';
import { parsePruneSpec } from '../../prune/index.js';
import type { ObserverName } from '../../quantize/index.js';
import type { CliIo } from '../command.js';
import type { EvaluateFlags } from './evaluate.js';
import { stderrProgress } from './progress.js';
import { formatMeasurement } from './report.js';

export interface CompressOnnxFlags extends EvaluateFlags {
  out: string;
  force?: boolean;
  json?: boolean;
  prune?: string;
  quantize?: string;
  perChannel?: boolean;
  observer?: string;
  calibSamples?: number;
  allowNonfinite?: boolean;
}

/** Flags of the tfjs pipeline that have no ONNX counterpart: refused rather than silently ignored. */
const TFJS_ONLY = ['preset', 'config', 'distillFrom', 'cluster', 'finetuneEpochs', 'resume'] as const;

/**
 * `shrinkml compress model.onnx`: ONNX in, ONNX out, through src/onnx (pruning, dynamic INT8, static QDQ,
 * fp16/int8 weight storage), then measured in onnxruntime-node against the input.
 */
export async function compressOnnxForCli(modelPath: string, flags: CompressOnnxFlags & Record<string, unknown>, io: CliIo): Promise<void> {
  const unsupported = TFJS_ONLY.filter((k) => flags[k] !== undefined);
  if (unsupported.length) {
    throw new ShrinkmlError('UNSUPPORTED', `${modelPath}: --${unsupported[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to TensorFlow.js models, not ONNX`, {
      subject: modelPath, suggestion: 'for ONNX use --prune magnitude:S[:global] | structured:R and --quantize dynamic | static | weights:float16 | weights:uint8',
    });
  }
  if (!/\.onnx$/i.test(flags.out)) {
    throw new ShrinkmlError('BAD_INPUT', `--out ${flags.out}: an ONNX model is written as a .onnx file`, { subject: '--out' });
  }
  const options: CompressOnnxOptions = {
    path: modelPath, out: flags.out, force: flags.force, perChannel: flags.perChannel,
    allowNonFinite: flags.allowNonfinite, onProgress: stderrProgress(io), onWarn: (m) => io.stderr(`warning: ${m}\n`),
  };
  if (flags.prune) {
    const spec = parsePruneSpec(flags.prune);
    if (spec.kind === 'magnitude') options.prune = { sparsity: spec.sparsity, scope: spec.scope };
    else if (spec.kind === 'structured') options.pruneChannels = { fraction: spec.ratio };
    else throw new ShrinkmlError('UNSUPPORTED', `--prune ${flags.prune}: ONNX models take magnitude:S[:global] or structured:R`, { subject: '--prune' });
  }
  const q = flags.quantize?.trim().toLowerCase();
  if (q === 'dynamic' || q === 'static') options.quantize = q;
  else if (q === 'weights:float16') options.weightStorage = 'fp16';
  else if (q === 'weights:uint8') options.weightStorage = 'int8';
  else if (q !== undefined) {
    throw new ShrinkmlError('UNSUPPORTED', `--quantize ${flags.quantize}: ONNX models take dynamic, static, weights:float16 or weights:uint8 (int8 DequantizeLinear)`, { subject: '--quantize' });
  }
  if (q === 'static') {
    if (!flags.data) throw new ShrinkmlError('BAD_INPUT', '--quantize static needs calibration data', { subject: '--data', suggestion: 'add --data mnist' });
    options.calibration = { data: await loadData({ source: flags.data, split: 'calibration', limit: flags.calibSamples ?? 512 }), observer: flags.observer as ObserverName | undefined };
  }
  const result = await compressOnnx(options);
  io.stderr(`wrote ${result.path} (${result.bytes} bytes, input ${result.inputBytes})\n`);
  const [input, output] = [await loadOnnx(modelPath), await loadOnnx(result.path)];
  const dataset = flags.data ? await loadData({ source: flags.data, split: flags.split, limit: flags.limit }) : undefined;
  const measurement = await measureOnnx({
    loaded: output, reference: input, dataset, batchSize: flags.batchSize, budget: flags.budget, onProgress: stderrProgress(io),
    latency: flags.latency ? { batchSizes: flags.batchSizes, runs: flags.runs, warmup: flags.warmup } : false,
  });
  if (measurement.budget && !measurement.budget.pass) io.setExitCode(1);
  if (flags.json) {
    io.stdout(JSON.stringify({ ...measurement, device: 'onnxruntime-node (CPU)', out: result.path, report: result.report }, null, 2) + '\n');
  } else {
    io.stdout(`${result.path}\n${formatMeasurement(measurement)}`);
  }
}
