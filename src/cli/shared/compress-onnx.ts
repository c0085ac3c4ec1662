import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import { loadData } from '../../data/index.js';
import { loadOnnx } from '../../formats/onnx/index.js';
import { budgetToString, toBudget, type Measurement } from '../../measure/index.js';
import { compressOnnx, type CompressOnnxOptions, type CompressOnnxResult } from '../../onnx/index.js';
import { measureOnnx } from '../../onnx/measure.js';
import { onnxQuantizeMode } from '../../onnx/modes.js';
import type { WeightFormat } from '../../onnx/weight-only.js';
import { summarizeMeasurement } from '../../pipeline/index.js';
import { parsePruneSpec } from '../../prune/index.js';
import type { ObserverName } from '../../quantize/index.js';
import { layerRows, type CompressReport } from '../../report/index.js';
import { ModelOutput } from '../../pipeline/output.js';
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
  absolutePaths?: boolean;
}

/** Flags of the tfjs pipeline that have no ONNX counterpart: refused rather than silently ignored. */
const TFJS_ONLY = ['preset', 'config', 'distillFrom', 'cluster', 'finetuneEpochs', 'resume'] as const;

/**
 * `shrinkml compress model.onnx`: ONNX in, ONNX out, through src/onnx (pruning, dynamic INT8, static QDQ,
 * fp16/int8 weight storage), measured in onnxruntime-node against the input, with its lineage (in the model's
 * metadata_props and `<name>.lineage.json`) and `<name>.report.{json,md,html}` beside it.
 */
export async function compressOnnxForCli(modelPath: string, flags: CompressOnnxFlags & Record<string, unknown>, io: CliIo, signal?: AbortSignal): Promise<void> {
  let done: { result: CompressOnnxResult; measurement: Measurement; reports: { json: string; md: string; html: string } };
  const unsupported = TFJS_ONLY.filter((k) => flags[k] !== undefined);
  if (unsupported.length) {
    throw new ShrinkmlError('UNSUPPORTED', `${modelPath}: --${unsupported[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to TensorFlow.js models, not ONNX`, {
      subject: modelPath, suggestion: 'for ONNX use --prune magnitude:S[:global] | structured:R and --quantize dynamic | static | weights:float16|uint8|int8|int4',
    });
  }
  if (!/\.onnx$/i.test(flags.out)) {
    throw new ShrinkmlError('BAD_INPUT', `--out ${flags.out}: an ONNX model is written as a .onnx file`, { subject: '--out' });
  }
  const options: CompressOnnxOptions = {
    path: modelPath, out: flags.out, force: flags.force, perChannel: flags.perChannel, absolutePaths: flags.absolutePaths,
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
  else if (q !== undefined) options.weightStorage = onnxQuantizeMode(q).name.replace('weights:', '') as WeightFormat;
  if (q === 'static') {
    if (!flags.data) throw new ShrinkmlError('BAD_INPUT', '--quantize static needs calibration data', { subject: '--data', suggestion: 'add --data mnist' });
    options.calibration = { data: await loadData({ source: flags.data, split: 'calibration', limit: flags.calibSamples ?? 512 }), observer: flags.observer as ObserverName | undefined };
  }
  const latency = flags.latency ? { batchSizes: flags.batchSizes, runs: flags.runs, warmup: flags.warmup } : false as const;
  options.evaluation = {
    data: flags.data ? await loadData({ source: flags.data, split: flags.split, limit: flags.limit }) : undefined,
    source: flags.data, batchSize: flags.batchSize, latency, budget: flags.budget,
  };
  // Model, lineage and reports are staged and appear at --out together, after everything is measured.
  const output = await ModelOutput.open({ out: flags.out, force: flags.force, protect: [modelPath] });
  try {
    options.stage = output.stage;
    const started = performance.now();
    const result = await compressOnnx(options);
    const seconds = (performance.now() - started) / 1000;
    const measurement = result.measurement!;
    checkInterrupted(signal);
    const input = await measureOnnx({ loaded: await loadOnnx(modelPath), latency, onProgress: stderrProgress(io) });
    checkInterrupted(signal);
    const report = onnxReport({ flags, result, measurement, input, seconds });
    const { reports } = await output.writeRecords({ lineage: result.lineage, report });
    output.commit(signal);
    io.stderr(`wrote ${result.path} (${result.bytes} bytes, input ${result.inputBytes}) and ${path.basename(result.lineagePath)}\n`);
    done = { result, measurement, reports };
  } finally {
    output.discard();
  }
  const { result, measurement, reports } = done;
  if (measurement.budget && !measurement.budget.pass) io.setExitCode(1);
  if (flags.json) {
    io.stdout(JSON.stringify({
      ...measurement, device: 'onnxruntime-node (CPU)', out: result.path, report: result.report, lineage: result.lineage, reports,
    }, null, 2) + '\n');
  } else {
    io.stdout(`${result.path}\n${formatMeasurement(measurement)}report: ${reports.html}\n`);
  }
}

/**
 * The tfjs pipeline's report.json contract, filled from an ONNX run, so one renderer (src/report) and any script
 * reading report.json serve both formats. compressOnnx does not time its passes one by one, so they are one step
 * record whose time covers the whole call (passes, verification, writing and measuring).
 */
function onnxReport(o: { flags: CompressOnnxFlags; result: CompressOnnxResult; measurement: Measurement; input: Measurement; seconds: number }): CompressReport {
  const { lineage } = o.result;
  const m = o.measurement;
  const split = o.flags.data ? o.flags.split : 'none';
  const failed = m.budget?.criteria.filter((c) => !c.pass).map((c) => c.criterion).join('; ');
  const notes = [
    `ONNX passes are deterministic (no seed). The lineage is in the model's metadata_props (shrinkml.lineage), which the sizes include, and in ${path.basename(o.result.lineagePath)}.`,
  ];
  // e.g. dynamic INT8 leaves Conv float (onnxruntime's ConvInteger takes only uint8 weights): say so where people read.
  notes.push(...(o.result.report.quantize?.notes ?? []));
  if (lineage.steps.some((s) => s.step === 'prune')) notes.push('Unstructured sparsity shrinks the gzip size only; it makes nothing faster in onnxruntime (structured pruning does).');
  return {
    kind: 'compress', shrinkml: VERSION, tfjs: tf.version.tfjs, backend: 'onnxruntime-node', createdAt: lineage.createdAt,
    input: {
      path: lineage.source, hash: lineage.sourceHash,
      metrics: { ...summarizeMeasurement(o.input), accuracy: m.referenceAccuracy, samples: m.samples },
    },
    output: { path: o.flags.absolutePaths ? o.result.path : path.basename(o.result.path), metrics: summarizeMeasurement(m), weightsHash: lineage.weightsHash! },
    evaluation: { data: o.flags.data, split, samples: m.samples },
    pipeline: { version: 1, seed: 0, steps: lineage.steps },
    levels: {},
    steps: [{ step: 'onnx', options: { ...lineage.config }, seed: 0, seconds: o.seconds, summary: { ...o.result.report } }],
    budget: o.flags.budget !== undefined && m.budget ? {
      text: budgetToString(toBudget(o.flags.budget)), check: m.budget, pass: m.budget.pass, closest: false,
      message: m.budget.pass ? `met on the ${split} split` : `not met on the ${split} split: ${failed}`,
    } : undefined,
    trials: [],
    layers: layerRows(m.layers),
    notes,
  };
}

function checkInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ShrinkmlError('INTERRUPTED', 'compress interrupted');
}
