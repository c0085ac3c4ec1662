import { InvalidArgumentError, Option } from 'commander';
import * as path from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import { loadData } from '../../data/index.js';
import { toBudget } from '../../measure/index.js';
import { BENCH_VARIANTS, runBench } from '../../pipeline/index.js';
import { renderBenchHtml, renderBenchMarkdown, renderBenchTable, writeFileAtomically } from '../../report/index.js';
import type { CliCommand } from '../command.js';
import { addBackendOption, useBackend } from '../shared/backend.js';
import { disposeLoaded, loadModelForCli } from '../shared/model.js';
import { addJsonOption, addModelLoadOptions, positiveInt } from '../shared/options.js';
import { stderrProgress } from '../shared/progress.js';

interface BenchFlags {
  data: string;
  limit?: number;
  trainLimit?: number;
  variants?: string[];
  epochs: number;
  studentWidth: number;
  budget: string;
  seed: number;
  maxTrials: number;
  timeout: number;
  latency: boolean;
  runs: number;
  warmup: number;
  markdown?: string;
  html?: string;
  json?: boolean;
  backend: string;
  allowNonfinite?: boolean;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`expected a number in (0, 1], got '${value}'`);
  return n;
}

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

export const benchCommand: CliCommand = {
  name: 'bench',
  register(program, io) {
    const cmd = program.command('bench')
      .description('Compare compression techniques on one model and dataset: fp32, weight storage, PTQ dynamic and static ' +
        '(each observer), QAT, distillation, distillation + QAT, prune + QAT, prune + cluster and the searched pipeline. ' +
        'Prints accuracy, drop, bytes, gzip, ratio, p50/p95 and the compression time of each.')
      .argument('<model>', 'a model folder or model.json')
      .addOption(new Option('--data <source>', "'mnist', 'fashion-mnist' or a path (train split for training, test split for the table)").makeOptionMandatory())
      .option('--limit <n>', 'measure on the first n test samples only', positiveInt)
      .option('--train-limit <n>', 'train on the first n samples of the train split', positiveInt)
      .option('--variants <list>', `comma-separated subset of: ${BENCH_VARIANTS.map((v) => v.name).join(', ')}`, list)
      .option('--epochs <n>', 'epochs per training step (distillation gets twice as many)', positiveInt, 2)
      .option('--student-width <f>', 'hidden-width factor of the distillation student', fraction, 0.5)
      .option('--budget <criteria>', 'budget of the searched variant (judged on the validation split)', 'drop<=0.3%')
      .option('--seed <n>', 'seed of every variant', positiveInt, 1)
      .option('--max-trials <n>', 'searched variant: most trials', positiveInt, 6)
      .option('--timeout <seconds>', 'searched variant: stop starting trials after this long', positiveInt, 1800)
      .option('--runs <n>', 'timed runs for p50/p95 (batch size 1)', positiveInt, 100)
      .option('--warmup <n>', 'untimed warm-up runs', positiveInt, 10)
      .option('--no-latency', 'skip latency measurement')
      .option('--markdown <file>', 'also write the table as Markdown')
      .option('--html <file>', 'also write an HTML page with the table and the Pareto plot');
    addBackendOption(cmd);
    addJsonOption(cmd);
    addModelLoadOptions(cmd);
    cmd.addHelpText('after', `
Variants:
${BENCH_VARIANTS.map((v) => `  ${v.name.padEnd(24)}${v.description}`).join('\n')}

Every variant is written, read back and measured on the same test samples and backend. Latency does not improve
for unstructured sparsity or weight sharing (they shrink the download only).

Example:
  $ shrinkml bench mnist-lenet-300-100 --data mnist --markdown bench.md --html bench.html`);
    cmd.action(async (modelPath: string, flags: BenchFlags) => {
      toBudget(flags.budget); // a typo fails before any training
      const input = await loadModelForCli(modelPath, flags, io);
      try {
        if (input.kind !== 'layers') {
          throw new ShrinkmlError('UNSUPPORTED', `${input.descriptorPath}: bench compresses TensorFlow.js LayersModels; this is a ${input.kind} model`, { subject: modelPath });
        }
        // Inputs are checked before the backend is probed: a bad one fails as one line.
        if (flags.data) await loadData({ source: flags.data, split: 'test', limit: flags.limit });
        await useBackend(flags.backend, io);
        const report = await runBench({
          input, data: flags.data, limit: flags.limit, trainLimit: flags.trainLimit, variants: flags.variants,
          settings: { epochs: flags.epochs, studentWidth: flags.studentWidth, budget: flags.budget, seed: flags.seed },
          latency: flags.latency ? { runs: flags.runs, warmup: flags.warmup } : undefined,
          search: { maxTrials: flags.maxTrials, timeoutSeconds: flags.timeout },
          onProgress: stderrProgress(io), onWarn: (m) => io.stderr(`warning: ${m}\n`), onLog: (l) => io.stderr(`${l}\n`),
        });
        if (flags.markdown) await writeFileAtomically(path.resolve(flags.markdown), renderBenchMarkdown(report));
        if (flags.html) await writeFileAtomically(path.resolve(flags.html), renderBenchHtml(report));
        io.stdout(flags.json ? JSON.stringify(report, null, 2) + '\n' : renderBenchTable(report));
        if (report.rows.some((r) => r.status === 'failed')) io.setExitCode(1);
      } finally {
        disposeLoaded(input);
      }
    });
  },
};
