import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { registerKernels } from '../../../kernels/index.js';
import { ShrinkmlError } from '../../core/errors.js';
import { loadData } from '../../data/index.js';
import { DISTILL_DEFAULTS, distill, shrinkWidth, type DistillHistory, type WidthChange } from '../../distill/index.js';
import { loadLayers } from '../../formats/index.js';
import { toBudget } from '../../measure/index.js';
import type { LoadedLayersModel, LoadedModel } from '../../formats/types.js';
import { buildLineage, recordedDataSource } from '../../pipeline/lineage.js';
import { ModelOutput } from '../../pipeline/output.js';
import type { CliCommand, CliIo } from '../command.js';
import { addBackendOption, useBackend } from '../shared/backend.js';
import { evaluateForCli, type EvaluateFlags } from '../shared/evaluate.js';
import { formatBytes, formatPercent, table } from '../shared/format.js';
import { loadModelForCli } from '../shared/model.js';
import { resolveCliData, resolveInputFlags, type DataFlags } from '../shared/inputs.js';
import { addBudgetOption, addDataOptions, addJsonOption, addLatencyOptions, addModelLoadOptions, dataHelp, positiveInt } from '../shared/options.js';
import { stderrProgress } from '../shared/progress.js';

interface DistillFlags extends EvaluateFlags, DataFlags {
  teacher: string;
  student?: string;
  studentWidth?: number;
  roundTo: number;
  temperature: number;
  alpha: number;
  epochs: number;
  trainBatchSize: number;
  lr: number;
  seed: number;
  patience: number;
  earlyStopping: boolean;
  out: string;
  force?: boolean;
  json?: boolean;
  backend: string;
  allowNonfinite?: boolean;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got '${value}'`);
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a number in [0, 1], got '${value}'`);
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number ≥ 0, got '${value}'`);
  return n;
}

function layersOnly(loaded: LoadedModel, flag: string): LoadedLayersModel {
  if (loaded.kind !== 'layers') {
    throw new ShrinkmlError('UNSUPPORTED', `${loaded.descriptorPath}: ${flag} must be a TensorFlow.js LayersModel; this is a ${loaded.kind} model`, {
      subject: flag, suggestion: 'a graph model has no layers to read logits from or to train',
    });
  }
  return loaded;
}

/** The student: a given model, or the teacher's architecture at a fraction of its width with fresh weights. */
async function buildStudent(flags: DistillFlags, teacher: LoadedLayersModel, io: CliIo): Promise<{
  model: tf.LayersModel; changes?: WidthChange[]; files: string[];
}> {
  if (flags.student) {
    const loaded = layersOnly(await loadModelForCli(flags.student, flags, io), '--student');
    return { model: loaded.model, files: [loaded.descriptorPath, ...loaded.weightFiles] };
  }
  return { ...(await shrinkWidth(teacher.model, flags.studentWidth!, { seed: flags.seed, roundTo: flags.roundTo })), files: [] };
}

const ms = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(3)} ms`);

function formatHistory(history: DistillHistory): string {
  return table(['epoch', 'loss', 'hard', 'soft', 'val loss', 'val acc', 'seconds'], history.epochs.map((e) => [
    String(e.epoch + 1), e.loss.toFixed(4), e.hardLoss.toFixed(4), e.softLoss.toFixed(4),
    e.valLoss?.toFixed(4) ?? '-', formatPercent(e.valAccuracy), e.seconds.toFixed(1),
  ]));
}

export const distillCommand: CliCommand = {
  name: 'distill',
  register(program, io) {
    const cmd = program.command('distill')
      .description('Train a small student to imitate a teacher (Hinton et al. 2015 knowledge distillation), save it to ' +
        '--out, and report teacher vs student accuracy, size and latency.')
      .addOption(new Option('--teacher <model>', 'the trained teacher (a TensorFlow.js LayersModel folder or model.json)').makeOptionMandatory())
      .option('--student <model>', 'the student to train, as given (its weights are the starting point)')
      .option('--student-width <factor>', "the teacher's architecture with hidden widths × factor and fresh weights, e.g. 0.25", positiveNumber)
      .option('--round-to <n>', 'round --student-width widths to a multiple of n (8 suits SIMD)', positiveInt, 1)
      .option('--temperature <T>', 'softmax temperature of the soft targets (common: 2-5)', positiveNumber, DISTILL_DEFAULTS.temperature)
      .option('--alpha <a>', 'weight of the hard-label loss; 1 − alpha goes to the soft targets (common: 0.1-0.5)', fraction, DISTILL_DEFAULTS.alpha)
      .option('--epochs <n>', 'training epochs (at most; early stopping may end sooner)', positiveInt, DISTILL_DEFAULTS.epochs)
      .option('--train-batch-size <n>', 'samples per training step', positiveInt, DISTILL_DEFAULTS.batchSize)
      .option('--lr <rate>', 'Adam learning rate', positiveNumber, DISTILL_DEFAULTS.learningRate)
      .option('--seed <n>', 'seed of the batch order and of --student-width weights', nonNegativeInt, 0)
      .option('--patience <n>', 'epochs without validation improvement before stopping', positiveInt, DISTILL_DEFAULTS.patience)
      .option('--no-early-stopping', 'train all --epochs')
      .addOption(new Option('--out <path>', 'where to write the student (refused if it exists unless --force)').makeOptionMandatory())
      .option('--force', 'replace an existing --out (never the teacher or student input)');
    addDataOptions(cmd, 'test');
    addBackendOption(cmd);
    addLatencyOptions(cmd);
    addBudgetOption(cmd);
    addJsonOption(cmd);
    addModelLoadOptions(cmd);
    cmd.addHelpText('after', `
Training uses the train split of --data and validates on its validation split; --split picks the data for the
final report (default test). --limit applies to every split (quick checks).

${dataHelp({ feeding: false })}

Examples:
  $ shrinkml distill --teacher mnist-lenet-300-100 --student-width 0.25 --data mnist --epochs 5 --out /tmp/student
  $ shrinkml distill --teacher mnist-teacher --student mnist-lenet5 --data mnist --temperature 4 --alpha 0.3 \\
      --out /tmp/student-2 --budget "drop<=0.5%"`);
    cmd.action(async (flags: DistillFlags) => {
      // Usage errors first, before any slow loading.
      if ((flags.student === undefined) === (flags.studentWidth === undefined)) {
        throw new ShrinkmlError('BAD_INPUT', 'give exactly one of --student <model> and --student-width <factor>', { subject: '--student' });
      }
      if (!flags.data) {
        throw new ShrinkmlError('BAD_INPUT', 'distill needs training data', { subject: '--data', suggestion: "e.g. --data mnist or --data fashion-mnist" });
      }
      const request = resolveInputFlags(flags);
      if (flags.budget !== undefined) toBudget(flags.budget); // a typo fails before any training
      const teacher = layersOnly(await loadModelForCli(flags.teacher, flags, io), '--teacher');
      // Image folders are sized to the teacher's input (the student must take the same, checked below).
      const resolved = (await resolveCliData(teacher, request.data, undefined))!;
      const data = resolved.source;
      let student: tf.LayersModel | undefined;
      let output: ModelOutput | undefined;
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        // Every input is read and checked before the backend is probed: a bad one fails as one line.
        const train = await loadData({ source: data, split: 'train', limit: flags.limit, feed: resolved.feed });
        const validation = flags.earlyStopping ? await loadData({ source: data, split: 'validation', limit: flags.limit, feed: resolved.feed }) : undefined;
        const built = await buildStudent(flags, teacher, io);
        student = built.model;
        // Both models see the same batches and are measured on the same data afterwards: refuse a mismatch here, in
        // one line, rather than fail after training with the student already written.
        const shapeOf = (m: tf.LayersModel) => JSON.stringify(m.inputs[0]!.shape.slice(1));
        if (shapeOf(student) !== shapeOf(teacher.model)) {
          throw new ShrinkmlError('BAD_INPUT', `${flags.student}: the student takes inputs of shape ${shapeOf(student)}, ` +
            `the teacher ${shapeOf(teacher.model)}; distillation feeds both the same batches`, { subject: '--student' });
        }
        // The one writer of outputs, as for compress: it locks --out and refuses an existing one before training; the
        // student is staged, measured there, and appears at --out only once everything succeeded.
        output = await ModelOutput.open({
          out: flags.out, force: flags.force, protect: [teacher.descriptorPath, ...teacher.weightFiles, ...built.files],
        });
        const choice = await useBackend(flags.backend, io);
        await registerKernels(); // conv gradients for wasm (idempotent): a CNN student trains there too
        io.stderr(`student: ${student.countParams().toLocaleString('en-US')} parameters (teacher ${teacher.model.countParams().toLocaleString('en-US')})\n`);
        const optimizer = tf.train.adam(flags.lr);
        let history: DistillHistory;
        try {
          history = await distill({
            teacher: teacher.model, student, data: train, validation, epochs: flags.epochs, batchSize: flags.trainBatchSize,
            temperature: flags.temperature, alpha: flags.alpha, optimizer, seed: flags.seed,
            earlyStopping: flags.earlyStopping ? { patience: flags.patience } : false,
            onProgress: stderrProgress(io), signal: controller.signal,
          });
        } finally {
          optimizer.dispose();
        }
        const options = {
          student: flags.student ?? null, studentWidth: flags.studentWidth ?? null, temperature: flags.temperature, alpha: flags.alpha,
          epochs: history.epochs.length, batchSize: flags.trainBatchSize, lr: flags.lr, earlyStopping: flags.earlyStopping,
        };
        const lineage = buildLineage({
          loaded: teacher, out: flags.out, steps: [{ step: 'distill', options }], seed: flags.seed,
          data: { source: recordedDataSource(data, flags.out), split: 'train', samples: train.count },
        });
        const saved = await output.writeLayers(student, { encodings: {}, clusters: {}, weightBits: {}, shrinkml: {} });
        await output.writeFiles([{ name: output.lineageName, content: JSON.stringify(lineage, null, 2) + '\n' }]);
        const modelJsonPath = output.finalPath(path.basename(saved.modelJsonPath));
        const written = await loadLayers(saved.modelJsonPath);
        try {
          const teacherReport = await evaluateForCli({ loaded: teacher, flags: { ...flags, budget: undefined }, io, data: resolved });
          const studentReport = await evaluateForCli({ loaded: written, reference: teacher, flags, io, data: resolved });
          // Measured where it is staged; reported where the commit puts it.
          const staged = studentReport.measurement;
          const s = { ...staged, source: modelJsonPath, size: { ...staged.size, files: staged.size.files.map((f) => ({ ...f, path: output!.finalPath(path.basename(f.path)) })) } };
          const t = teacherReport.measurement;
          output.commit(controller.signal);
          io.stderr(`wrote ${modelJsonPath}\n`);
          if (s.budget && !s.budget.pass) io.setExitCode(1);
          if (flags.json) {
            io.stdout(JSON.stringify({
              out: modelJsonPath, device: choice.device, history, widths: built.changes ?? null, teacher: t, student: s, lineage,
            }, null, 2) + '\n');
            return;
          }
          io.stdout(formatHistory(history));
          io.stdout('\n' + table(['', 'teacher', 'student'], [
            ['params', t.params.toLocaleString('en-US'), s.params.toLocaleString('en-US')],
            ['size (gzip)', formatBytes(t.size.gzipBytes), formatBytes(s.size.gzipBytes)],
            ['accuracy', formatPercent(t.accuracy), formatPercent(s.accuracy)],
            ['latency p50 b=1', ms(t.latency?.p50Ms), ms(s.latency?.p50Ms)],
          ]));
          if (s.agreement !== undefined) io.stdout(`agreement with the teacher ${formatPercent(s.agreement)} (top-1)\n`);
          io.stdout(`${modelJsonPath}\n`);
        } finally {
          written.model.dispose();
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
        output?.discard();
        student?.dispose();
        teacher.model.dispose();
      }
    });
  },
};
