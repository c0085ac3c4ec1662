/**
 * Knowledge distillation benchmark (issue 7): a teacher → a student with ≤ 1/10 of its parameters, distilled vs
 * the same student trained from scratch (same initial weights, batches, optimizer and epochs; the only change is
 * the loss: α·CE + (1−α)·T²·KL against the teacher, or plain CE). Several seeds, mean ± sd, MNIST and Fashion-MNIST.
 *
 *   npx tsc -p . && node dist/bench/distill.js [--teacher cnn|dense] [--datasets mnist,fashion-mnist] [--seeds 3]
 *     [--epochs 5] [--student-width F] [--temperature 4] [--alpha 0.3] [--batch-size 64] [--lr 0.001]
 *     [--teacher-epochs N] [--limit N] [--backend auto] [--out bench/results] [--student width|deep] [--lr-schedule cosine|constant]
 *     [--first-seed 1] [--tag name]
 *
 * --teacher cnn (the target): the mnist-teacher CNN, student = its architecture at width 0.25 (a CNN too). It needs a
 * backend that trains convolutions: wasm with shrinkml's kernels/ registered (done here), webgpu or tensorflow.
 * --student deep (cnn teacher only) swaps the width-scaled copy for a user-style student that spends its ≤ 1/10 parameter
 * budget on convolutions (conv8-conv16-conv32 with BN, dense40): the teacher's dense128 layer holds 97% of its weights,
 * so scaling every width equally starves the student's convolutions. --lr-schedule cosine decays the learning rate per
 * batch to 0 (Loshchilov & Hutter 2017), which removes most of the last-epoch noise between seeds.
 * --teacher dense runs the same protocol with LeNet-300-100 (student width 0.1), to prove the pipeline cheaply.
 * The teacher is models/<arch> for MNIST when it exists, otherwise trained here once and cached in bench/distill-cache/ (keep it out of git).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerKernels } from '../kernels/index.js';
import { selectBackend, type BackendRequest } from '../src/backends/index.js';
import { isShrinkmlError } from '../src/core/errors.js';
import { loadData, type Dataset } from '../src/data/index.js';
import { datasetLogits, distill, logitsOf, shrinkWidth } from '../src/distill/index.js';
import { loadModel, saveLayersModel } from '../src/formats/index.js';
import { evaluateAccuracy, modelInputShape, trainSeeded } from '../src/train/index.js';
import { getArchitecture } from '../src/zoo/index.js';
import { benchArgs } from './args.js';
import { writeAtomically, writeGenerated } from './write-results.js';

const TEACHERS = { cnn: { arch: 'mnist-teacher', width: 0.25 }, dense: { arch: 'mnist-lenet-300-100', width: 0.1 } } as const;
const log = (line: string): void => { process.stderr.write(`${line}\n`); };

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? NaN : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (xs: number[]) => `${(100 * mean(xs)).toFixed(2)} ± ${(100 * sd(xs)).toFixed(2)}`;

/** The teacher for a dataset: the committed reference model, a cached one, or trained now (then cached). */
async function getTeacher(o: { arch: string; dataset: string; train: Dataset; validation: Dataset; epochs?: number; limit?: number }): Promise<tf.LayersModel> {
  const committed = resolve('models', o.arch);
  const cached = resolve('bench/distill-cache', `${o.dataset}-${o.arch}${o.limit ? `-limit${o.limit}` : ''}`);
  for (const dir of o.dataset === 'mnist' && !o.limit ? [committed, cached] : [cached]) {
    if (existsSync(join(dir, 'model.json'))) {
      log(`teacher: ${dir}`);
      const loaded = await loadModel(dir);
      if (loaded.kind === 'layers') return loaded.model;
    }
  }
  const arch = getArchitecture(o.arch);
  const epochs = o.epochs ?? arch.defaultEpochs;
  log(`teacher: training ${o.arch} on ${o.dataset} for ${epochs} epochs (cached in ${cached})`);
  const model = arch.build(1);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await trainSeeded({
    model, train: o.train, validation: o.validation, epochs, batchSize: 128, seed: 1,
    callbacks: { onEpochEnd: (e) => log(`  teacher epoch ${e.epoch + 1}/${epochs} loss ${e.loss.toFixed(4)} val ${(100 * (e.valAcc ?? NaN)).toFixed(2)}%`) },
  });
  mkdirSync(resolve('bench/distill-cache'), { recursive: true });
  await saveLayersModel(model, cached, { force: true });
  return model;
}

/**
 * The conv-heavy student of --student deep: at width 1, conv8-conv16-conv32 → dense40, 18,026 parameters (8.7% of
 * mnist-teacher's 207,066); --student-width scales every width (0.75: conv6-conv12-conv24 → dense30).
 */
function deepStudent(seed: number, width = 1): tf.LayersModel {
  const w = (n: number) => Math.max(1, Math.round(n * width));
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 1000 + k });
  const block = (filters: number, k: number, first = false): tf.layers.Layer[] => [
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(k), ...(first ? { inputShape: [28, 28, 1] } : {}) }),
    tf.layers.batchNormalization(),
    tf.layers.activation({ activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
  ];
  return tf.sequential({
    name: 'mnist-student-deep',
    layers: [
      ...block(w(8), 1, true), ...block(w(16), 2), ...block(w(32), 3),
      tf.layers.flatten(),
      tf.layers.dense({ units: w(40), activation: 'relu', kernelInitializer: init(4) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(5) }),
    ],
  });
}

/** Cosine decay of Adam's learning rate, per batch, from `lr` to 0 over the whole run. */
function cosineSchedule(optimizer: tf.Optimizer, lr: number, stepsPerEpoch: number, epochs: number): tf.CustomCallbackArgs {
  let epoch = 0;
  const total = stepsPerEpoch * epochs;
  // AdamOptimizer reads this.learningRate on every applyGradients; tfjs has no public setter.
  const set = (step: number) => { (optimizer as unknown as { learningRate: number }).learningRate = 0.5 * lr * (1 + Math.cos(Math.PI * Math.min(step, total) / total)); };
  return {
    onEpochBegin: async (e: number) => { epoch = e; },
    onBatchBegin: async (batch: number) => { set(epoch * stepsPerEpoch + batch); },
  };
}

interface DatasetResult {
  dataset: string; teacherParams: number; studentParams: number; teacherAccuracy: number;
  distilled: number[]; scratch: number[]; seconds: number;
}

async function runDataset(o: {
  dataset: string; arch: string; width: number; seeds: number; epochs: number; temperature: number; alpha: number;
  batchSize: number; lr: number; teacherEpochs?: number; limit?: number; student: 'width' | 'deep'; lrSchedule: 'cosine' | 'constant'; firstSeed: number;
}): Promise<DatasetResult> {
  const started = Date.now();
  const [train, validation, test] = await Promise.all((['train', 'validation', 'test'] as const).map((split) => loadData({ source: o.dataset, split, limit: o.limit })));
  log(`${o.dataset}: train ${train.count}, test ${test.count}`);
  const teacher = await getTeacher({ arch: o.arch, dataset: o.dataset, train, validation, epochs: o.teacherEpochs, limit: o.limit });
  const teacherAccuracy = await evaluateAccuracy(teacher, test, { batchSize: 500 });
  // The teacher is frozen: its logits over the training set are computed once and shared by every seed.
  const { values: teacherLogits } = await datasetLogits({ logits: logitsOf(teacher).logits, data: train, inputShape: modelInputShape(teacher) });
  const result: DatasetResult = {
    dataset: o.dataset, teacherParams: teacher.countParams(), studentParams: 0, teacherAccuracy, distilled: [], scratch: [], seconds: 0,
  };
  for (let seed = o.firstSeed; seed < o.firstSeed + o.seeds; seed++) {
    for (const mode of ['distilled', 'scratch'] as const) {
      const student = o.student === 'deep' ? deepStudent(seed, o.width) : (await shrinkWidth(teacher, o.width, { seed })).model;
      result.studentParams = student.countParams();
      if (result.studentParams * 10 > result.teacherParams) {
        throw new Error(`student has ${result.studentParams} parameters, more than 1/10 of the teacher's ${result.teacherParams}; lower --student-width`);
      }
      const optimizer = tf.train.adam(o.lr);
      const callbacks = o.lrSchedule === 'cosine' ? [cosineSchedule(optimizer, o.lr, Math.ceil(train.count / o.batchSize), o.epochs)] : [];
      const history = await distill({
        teacherLogits, student, data: train, epochs: o.epochs, batchSize: o.batchSize, seed, optimizer, earlyStopping: false, callbacks,
        temperature: o.temperature, alpha: mode === 'distilled' ? o.alpha : 1,
      });
      const accuracy = await evaluateAccuracy(student, test, { batchSize: 500 });
      result[mode].push(accuracy);
      log(`  seed ${seed} ${mode}: test ${(100 * accuracy).toFixed(2)}% (loss ${history.epochs.at(-1)!.loss.toFixed(4)}, ` +
        `${history.epochs.reduce((s, e) => s + e.seconds, 0).toFixed(0)}s)`);
      optimizer.dispose();
      student.dispose();
    }
  }
  teacher.dispose();
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

function verdicts(r: DatasetResult): { gap: number; diff: number[]; withinHalfPoint: boolean; beyondNoise: boolean } {
  const diff = r.distilled.map((d, i) => d - r.scratch[i]);
  const gap = r.teacherAccuracy - mean(r.distilled);
  // Paired over seeds; "beyond the noise" = the mean gain exceeds both 2 standard errors and 0.1 pt (a 10k test set's noise).
  const se = sd(diff) / Math.sqrt(diff.length);
  return { gap, diff, withinHalfPoint: gap <= 0.005, beyondNoise: mean(diff) > Math.max(2 * se, 0.001) };
}

function render(results: DatasetResult[], config: Record<string, unknown>): string {
  const rows = results.map((r) => {
    const v = verdicts(r);
    return `| ${r.dataset} | ${r.teacherParams.toLocaleString('en-US')} | ${r.studentParams.toLocaleString('en-US')} ` +
      `(${((100 * r.studentParams) / r.teacherParams).toFixed(1)}%) | ${(100 * r.teacherAccuracy).toFixed(2)} | ${pct(r.distilled)} | ` +
      `${pct(r.scratch)} | ${pct(v.diff)} | ${(100 * v.gap).toFixed(2)} | ${v.withinHalfPoint ? 'yes' : 'no'} | ${v.beyondNoise ? 'yes' : 'no'} | ${r.seconds.toFixed(0)} |`;
  });
  return [
    `# Distillation benchmark (${config.teacher} teacher)`, '',
    `Generated by \`node dist/bench/distill.js\` on ${new Date().toISOString().slice(0, 10)}. Test accuracy in %, mean ± sd over ` +
      `${config.seeds} seeds (seed = student initialisation and batch order); distilled and scratch share both per seed.`, '',
    `Student: ${config.student === 'deep' ? `conv${Math.round(8 * Number(config.studentWidth))}-conv${Math.round(16 * Number(config.studentWidth))}-conv${Math.round(32 * Number(config.studentWidth))} (3×3, BN, ReLU, 2×2 max-pool each) → dense${Math.round(40 * Number(config.studentWidth))} → dense10, built for the parameter budget (--student deep)` : `the teacher's architecture at width ${config.studentWidth} (shrinkWidth)`}; ` +
      `Adam lr ${config.lr}${config.lrSchedule === 'cosine' ? ' with per-batch cosine decay to 0' : ' (constant)'}, batch ${config.batchSize}, ${config.epochs} epochs, T = ${config.temperature}, α = ${config.alpha}.`, '',
    '| data | teacher params | student params | teacher acc | distilled acc | scratch acc | distilled − scratch (paired) | teacher − distilled (pt) | within 0.5 pt | better beyond noise | seconds |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |',
    ...rows, '',
    '"Better beyond noise": the paired mean gain exceeds 2 standard errors and 0.1 pt (the noise of one 10k test set).', '',
    '```json', JSON.stringify(config, null, 2), '```', '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    options: {
      teacher: { type: 'string', default: 'cnn' }, datasets: { type: 'string', default: 'mnist,fashion-mnist' },
      seeds: { type: 'string', default: '3' }, epochs: { type: 'string', default: '5' }, 'student-width': { type: 'string' },
      temperature: { type: 'string', default: '4' }, alpha: { type: 'string', default: '0.3' }, 'batch-size': { type: 'string', default: '64' },
      lr: { type: 'string', default: '0.001' }, 'teacher-epochs': { type: 'string' }, limit: { type: 'string' },
      backend: { type: 'string', default: 'auto' }, out: { type: 'string', default: 'bench/results' },
      student: { type: 'string', default: 'width' }, 'first-seed': { type: 'string', default: '1' }, 'lr-schedule': { type: 'string', default: 'constant' }, tag: { type: 'string' },
    },
  });
  const kind = values.teacher as keyof typeof TEACHERS;
  if (!TEACHERS[kind]) throw new Error(`--teacher must be cnn or dense, got '${values.teacher}'`);
  const choice = await selectBackend({ backend: values.backend as BackendRequest });
  await registerKernels(); // shrinkml's conv-gradient kernels: what lets tfjs-wasm train the CNN student
  log(`backend: ${choice.backend} (${choice.device})`);
  const config = {
    teacher: kind, arch: TEACHERS[kind].arch,
    studentWidth: Number(values['student-width'] ?? (values.student === 'deep' ? 1 : TEACHERS[kind].width)), firstSeed: Number(values['first-seed']),
    seeds: Number(values.seeds), epochs: Number(values.epochs), temperature: Number(values.temperature), alpha: Number(values.alpha),
    batchSize: Number(values['batch-size']), lr: Number(values.lr), optimizer: 'adam', limit: values.limit ? Number(values.limit) : null,
    backend: `${choice.backend} (${choice.device})`,
    student: values.student as 'width' | 'deep', lrSchedule: values['lr-schedule'] as 'cosine' | 'constant',
  };
  if (config.student !== 'width' && config.student !== 'deep') throw new Error(`--student must be width or deep, got '${config.student}'`);
  if (config.student === 'deep' && kind !== 'cnn') throw new Error('--student deep is a student for the cnn teacher');
  if (config.lrSchedule !== 'cosine' && config.lrSchedule !== 'constant') throw new Error(`--lr-schedule must be cosine or constant, got '${config.lrSchedule}'`);
  if (config.limit) log(`WARNING: --limit ${config.limit}: a smoke run, not a benchmark result`);
  const results: DatasetResult[] = [];
  for (const dataset of values.datasets!.split(',')) {
    results.push(await runDataset({
      dataset, arch: config.arch, width: config.studentWidth, seeds: config.seeds, epochs: config.epochs, temperature: config.temperature,
      alpha: config.alpha, batchSize: config.batchSize, lr: config.lr, limit: config.limit ?? undefined,
      teacherEpochs: values['teacher-epochs'] ? Number(values['teacher-epochs']) : undefined,
      student: config.student, lrSchedule: config.lrSchedule, firstSeed: config.firstSeed,
    }));
  }
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  const stem = `distill-${kind}${values.tag ? `-${values.tag}` : ''}${config.limit ? '-smoke' : ''}`;
  writeGenerated(join(out, `${stem}.md`), render(results, config));
  writeAtomically(join(out, `${stem}.json`), JSON.stringify({ config, results: results.map((r) => ({ ...r, ...verdicts(r) })) }, null, 2) + '\n');
  log(`wrote ${join(out, `${stem}.md`)}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/distill: ${isShrinkmlError(e) ? `${e.message}${e.suggestion ? ` (${e.suggestion})` : ''}` : (e as Error).stack}\n`);
  process.exitCode = 1;
});
