/**
 * Trains the reference models of src/zoo on MNIST and commits them under models/:
 *
 *   npm run build && node dist/scripts/train-models.js [names...] [--epochs N] [--batch-size N] [--seed N]
 *     [--lr X] [--backend wasm|cpu|webgpu|tensorflow|auto] [--out models] [--limit N]
 *
 * Without names it trains the dense models (mnist-lenet-300-100, mnist-residual); the CNNs need a backend that
 * trains convolutions. `--limit` trains and tests on the first N samples of each split (smoke runs only).
 * Saves each to <out>/<name>/ and regenerates <out>/manifest.json and <out>/README.md.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backends/index.js';
import type { BackendRequest } from '../src/backends/index.js';
import { isShrinkmlError } from '../src/core/errors.js';
import { loadData, type Dataset } from '../src/data/index.js';
import { saveLayersModel } from '../src/formats/index.js';
import { evaluateAccuracy, trainSeeded } from '../src/train/index.js';
import { getArchitecture, measureModelFolder, renderModelsReadme, type ModelRecord } from '../src/zoo/index.js';

const DEFAULT_NAMES = ['mnist-lenet-300-100', 'mnist-residual'];

function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

function readRecords(file: string): ModelRecord[] {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ModelRecord[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Cosine decay from `lr` to 5% of it over the run: a fixed schedule that needs no validation-driven decisions. */
const cosine = (lr: number, epochs: number) => (epoch: number) =>
  lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * epoch) / Math.max(1, epochs - 1))));

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      epochs: { type: 'string' },
      'batch-size': { type: 'string', default: '128' },
      seed: { type: 'string', default: '1' },
      lr: { type: 'string', default: '0.001' },
      backend: { type: 'string', default: 'wasm' },
      out: { type: 'string', default: 'models' },
      limit: { type: 'string' },
    },
  });
  const names = positionals.length ? positionals : DEFAULT_NAMES;
  const archs = names.map(getArchitecture);
  const batchSize = Number(values['batch-size']);
  const seed = Number(values.seed);
  const lr = Number(values.lr);
  const out = resolve(values.out!);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const choice = await selectBackend({ backend: values.backend as BackendRequest });
  log(`backend: ${choice.backend} (${choice.device})`);
  const limit = values.limit ? Number(values.limit) : undefined;
  if (limit) log(`WARNING: --limit ${limit}: a smoke run, not a reference model`);
  const [train, validation, test] = await Promise.all(
    (['train', 'validation', 'test'] as const).map((split) => loadData({ source: 'mnist', split, limit })));
  log(`data: mnist train ${train.count}, validation ${validation.count}, test ${test.count}`);

  const manifestFile = join(out, 'manifest.json');
  let failed = false;
  for (const arch of archs) {
    const epochs = values.epochs ? Number(values.epochs) : arch.defaultEpochs;
    const record = await trainOne({ arch, epochs, batchSize, seed, lr, train, validation, test, out, backend: choice.backend, log });
    const records = readRecords(manifestFile).filter((r) => r.name !== record.name).concat(record);
    records.sort((a, b) => a.name.localeCompare(b.name));
    writeAtomically(manifestFile, `${JSON.stringify(records, null, 2)}\n`);
    writeAtomically(join(out, 'README.md'), renderModelsReadme(records));
    if (record.testAccuracy < arch.targetAccuracy) {
      failed = true;
      log(`WARNING: ${arch.name} reached ${(record.testAccuracy * 100).toFixed(2)}%, below its target ${(arch.targetAccuracy * 100).toFixed(2)}%`);
    }
  }
  if (failed) process.exitCode = 1;
}

interface TrainOne {
  arch: ReturnType<typeof getArchitecture>;
  epochs: number; batchSize: number; seed: number; lr: number;
  train: Dataset; validation: Dataset; test: Dataset;
  out: string; backend: string;
  log: (line: string) => void;
}

async function trainOne(o: TrainOne): Promise<ModelRecord> {
  const { arch, epochs, log } = o;
  const model = arch.build(o.seed);
  model.compile({ optimizer: tf.train.adam(o.lr), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  log(`${arch.name}: ${model.countParams()} parameters, ${epochs} epochs, batch ${o.batchSize}, seed ${o.seed}`);
  const started = Date.now();
  const history = await trainSeeded({
    model, train: o.train, validation: o.validation, epochs, batchSize: o.batchSize, seed: o.seed,
    schedule: cosine(o.lr, epochs),
    callbacks: {
      onEpochEnd: (e) => log(`${arch.name} epoch ${e.epoch + 1}/${epochs} loss ${e.loss.toFixed(4)} acc ${(e.acc * 100).toFixed(2)}% ` +
        `val ${((e.valAcc ?? NaN) * 100).toFixed(2)}% lr ${e.learningRate?.toExponential(2)} (${e.seconds.toFixed(1)}s)`),
    },
  });
  const trainSeconds = (Date.now() - started) / 1000;
  const testAccuracy = await evaluateAccuracy(model, o.test, { batchSize: 500 });
  const dir = join(o.out, arch.name);
  await saveLayersModel(model, dir, { force: true });
  log(`${arch.name}: test ${(testAccuracy * 100).toFixed(2)}%, saved to ${dir}`);
  const record: ModelRecord = {
    name: arch.name,
    description: arch.description,
    parameters: model.countParams(),
    ...measureModelFolder(dir),
    testAccuracy,
    validationAccuracy: history.epochs.at(-1)?.valAcc ?? NaN,
    seed: o.seed,
    epochs: history.epochs.length,
    batchSize: o.batchSize,
    learningRate: o.lr,
    backend: o.backend,
    date: new Date().toISOString().slice(0, 10),
    trainSeconds: Math.round(trainSeconds),
  };
  model.optimizer.dispose();
  model.dispose();
  return record;
}

main().catch((e: unknown) => {
  process.stderr.write(`train-models: ${isShrinkmlError(e) ? e.message : (e as Error).stack}\n`);
  process.exitCode = 1;
});
