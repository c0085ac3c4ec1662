import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { VERSION } from '../core/version.js';
import type { Dataset, Split } from '../data/types.js';
import { buildLineage } from '../formats/lineage.js';
import { recordedDataSource } from '../pipeline/lineage.js';
import { graphInputs, graphOutputs } from '../formats/onnx/decode.js';
import type { ModelProto } from '../formats/onnx/proto.js';
import type { LoadedOnnxModel } from '../formats/types.js';
import { checkBudget, measureSize, toBudget, type Budget, type Measurement } from '../measure/index.js';
import type { CompressOnnxOptions, CompressOnnxResult } from './compress.js';
import { hashOnnxModel, onnxPackageVersions, writeOnnxWithLineage, type OnnxCompressConfig, type OnnxLineage } from './lineage.js';
import { measureOnnx } from './measure.js';

/** How compressOnnx measures its output against the input after writing it (what the lineage records as metrics). */
export interface OnnxEvaluation {
  /** Labelled data: accuracy, drop and agreement; without it only sizes, parameters and latency are measured. */
  data?: Dataset;
  /** How the data is named in the lineage ('mnist', a path); default data.name. */
  source?: string;
  batchSize?: number;
  latency?: false | { batchSizes: number[]; runs: number; warmup: number };
  budget?: string | Budget;
}

export interface CompressedOnnxOutput {
  path: string;
  /** Size of the file as written, lineage included. */
  bytes: number;
  lineage: OnnxLineage;
  /** `<name>.lineage.json` beside the model. */
  lineagePath: string;
  /** With `evaluation`: the output measured in onnxruntime-node against the input; sizes are of the final file. */
  measurement?: Measurement;
}

/** The passes compressOnnx applied, named as the pipeline steps they correspond to, with their options as data. */
function stepsOf(o: CompressOnnxOptions, report: CompressOnnxResult['report']): OnnxLineage['steps'] {
  const steps: OnnxLineage['steps'] = [];
  if (o.pruneChannels) steps.push({ step: 'prune', options: { method: 'structured', ...asData(o.pruneChannels) } });
  if (o.prune) steps.push({ step: 'prune', options: { method: 'magnitude', ...asData(o.prune) } });
  if (o.quantize) {
    steps.push({ step: 'ptq', options: asData({
      mode: o.quantize, perChannel: o.perChannel, reduceRange: o.reduceRange,
      observer: report.quantize?.calibration?.observer, calibrationSamples: report.quantize?.calibration?.samples,
    }) });
  }
  if (o.weightStorage) steps.push({ step: 'weight-format', options: { encoding: o.weightStorage === 'fp16' ? 'float16' : o.weightStorage } });
  return steps;
}

function configOf(o: CompressOnnxOptions): OnnxCompressConfig {
  const c = o.calibration;
  return asData({
    format: 'onnx', pruneChannels: o.pruneChannels, prune: o.prune, quantize: o.quantize, weightStorage: o.weightStorage,
    perChannel: o.perChannel, reduceRange: o.reduceRange, exclude: o.exclude,
    calibration: c && {
      source: typeof c.data === 'string' ? c.data : c.data.name, limit: typeof c.data === 'string' ? c.limit : c.data.count,
      observer: c.observer, observerOptions: c.observerOptions, batchSize: c.batchSize, runtime: c.runtime?.name,
    },
  });
}

/** JSON-safe copy (undefined fields dropped), so the lineage in the file and beside it parse to the same object. */
function asData<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The measured numbers the lineage keeps. Not the file's size: a file cannot record its own size (report.json does). */
function measuredMetrics(m: Measurement): Record<string, unknown> {
  return asData({
    params: m.params, nonzeroParams: m.nonzeroParams, sparsity: m.sparsity, samples: m.samples, accuracy: m.accuracy,
    referenceAccuracy: m.referenceAccuracy, drop: m.drop, agreement: m.agreement, p50Ms: m.latency?.p50Ms, p95Ms: m.latency?.p95Ms,
  });
}

/**
 * The last phase of compressOnnx: build the lineage, write the model with it (metadata_props and
 * `<name>.lineage.json`, atomically), and with `evaluation` measure the written model against the input and
 * write both again with the metrics in.
 */
export async function writeCompressedOnnx(o: {
  model: ModelProto;
  input: LoadedOnnxModel;
  options: CompressOnnxOptions;
  report: CompressOnnxResult['report'];
  /** The calibration/verification data compressOnnx read, if any. */
  calibration?: Dataset;
}): Promise<CompressedOnnxOutput> {
  const e = o.options.evaluation;
  const splits: Partial<Record<Split, number>> = {};
  if (o.calibration) splits[o.calibration.split] = o.calibration.count;
  if (e?.data) splits[e.data.split] = e.data.count;
  const config = configOf(o.options);
  const lineage = buildLineage<OnnxLineage>({
    loaded: o.input, out: path.dirname(path.resolve(o.options.out)), absolutePaths: o.options.absolutePaths, steps: stepsOf(o.options, o.report), config,
    // Without evaluation data, the verification numbers in `metrics` were measured on the calibration samples.
    data: e?.data ? { source: recordedDataSource(e.source ?? e.data.name, path.dirname(path.resolve(o.options.out)), o.options.absolutePaths), split: e.data.split, samples: e.data.count, splits }
      : o.calibration ? { source: config.calibration!.source, split: o.calibration.split, samples: o.report.verify?.samples, splits }
        : undefined,
    versions: { shrinkml: VERSION, tfjs: tf.version.tfjs, node: process.versions.node, backend: 'onnxruntime-node', ...onnxPackageVersions() },
    weightsHash: hashOnnxModel(o.model),
    metrics: o.report.verify ? { verify: o.report.verify } : undefined,
  });
  const write = (force?: boolean) => writeOnnxWithLineage({ model: o.model, lineage, out: o.options.out, force, protect: [o.input.descriptorPath], stage: o.options.stage });
  const first = await write(o.options.force);
  if (!e) return { path: first.path, bytes: first.bytes, lineage, lineagePath: first.lineagePath };

  // Measured from the bytes just written, not through loadOnnx: a loaded model is protected from being written over.
  const label = first.path;
  const written: LoadedOnnxModel = {
    kind: 'onnx', source: label, descriptorPath: first.onDisk, weightFiles: [], model: first.written.model, bytes: first.written.bytes,
    inputs: graphInputs(first.written.model, label), outputs: graphOutputs(first.written.model, label), meta: {},
  };
  const measurement = await measureOnnx({
    loaded: written, reference: o.input, dataset: e.data, batchSize: e.batchSize, latency: e.latency ?? false, onProgress: o.options.onProgress,
  });
  lineage.metrics = { ...lineage.metrics, ...measuredMetrics(measurement) };
  const final = await write(true);
  // The metrics made the file larger: sizes, and any size criterion of the budget, are of the file now on disk.
  measurement.size = await measureSize({ loaded: { descriptorPath: final.onDisk, weightFiles: [] } });
  if (e.budget !== undefined) measurement.budget = checkBudget(toBudget(e.budget), measurement);
  return { path: final.path, bytes: final.bytes, lineage, lineagePath: final.lineagePath, measurement };
}
