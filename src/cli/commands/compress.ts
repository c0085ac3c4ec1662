import { InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError, isShrinkmlError } from '../../core/errors.js';
import { loadData, planLayout } from '../../data/index.js';
import { formatOf } from '../../formats/index.js';
import { assertNotProtected } from '../../formats/protect.js';
import {
  checkJournal, checkMeasurable, checkSupported, compress, supportedKinds, configFromFlags, ModelOutput, getPreset, journalPath, loadPipelineConfig, PRESETS, SEARCH_DEFAULTS, STEPS, type PipelineConfig, type PipelineFlags,
} from '../../pipeline/index.js';
import { formatRecipe, parsePruneSpec, planStructured, PRUNE_SPEC_HELP, type StructuredRecipe } from '../../prune/index.js';
import { OBSERVER_NAMES } from '../../quantize/index.js';
import { QUANTIZE_HELP } from '../../quantize/index.js';
import { ONNX_COMPRESS_HELP } from '../../onnx/help.js';
import type { CliCommand, CliIo } from '../command.js';
import { handleSignals, pauseForTests, type StopControl } from '../signals.js';
import type { BackendChoice } from '../../backends/index.js';
import { addBackendOption, useBackend } from '../shared/backend.js';
import { checkBudgetFlags, type EvaluateFlags } from '../shared/evaluate.js';
import { disposeLoaded, loadModelForCli } from '../shared/model.js';
import { resolveCliData, resolveInputFlags, type DataFlags } from '../shared/inputs.js';
import { addBudgetOption, addDataOptions, addInputOptions, addJsonOption, addLatencyOptions, addModelLoadOptions, dataHelp, positiveInt, type InputFlags } from '../shared/options.js';
import { stderrProgress } from '../shared/progress.js';
import { formatMeasurement } from '../shared/report.js';

/** The pipeline-shaping flags are configFromFlags' own (PipelineFlags); the rest are the command's. */
interface CompressFlags extends EvaluateFlags, PipelineFlags, InputFlags, DataFlags {
  out: string;
  force?: boolean;
  json?: boolean;
  backend: string;
  allowNonfinite?: boolean;
  dryRun?: boolean;
  preset?: string;
  config?: string;
  trainLimit?: number;
  validationLimit?: number;
  maxTrials?: number;
  timeout?: number;
  accuracyMargin?: number;
  resume?: boolean;
  queue?: string;
  absolutePaths?: boolean;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number ≥ 0, got '${value}'`);
  return n;
}

function marginZ(value: string): number {
  const z = Number(value);
  if (value.trim() === '' || !Number.isFinite(z) || z < 0 || z > 10) throw new InvalidArgumentError(`expected a number of standard errors from 0 to 10, got '${value}'`);
  return z;
}

const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');

const HELP = `
Pipeline (run in this order; a config file or preset is the same thing as data):
${STEPS.map((s) => `  ${s.name.padEnd(14)}${s.description} [${supportedKinds(s).join(', ')}]`).join('\n')}

Presets (--preset):
${PRESETS.map((p) => `  ${p.name.padEnd(14)}${p.summary}`).join('\n')}

--prune:
${indent(PRUNE_SPEC_HELP)}
--quantize:
${indent(QUANTIZE_HELP)}

${ONNX_COMPRESS_HELP}

${dataHelp({ feeding: true })}

--config takes a pipeline as JSON, or YAML when the file ends in .yaml/.yml, e.g.
  {"seed": 1, "steps": [
    {"step": "prune", "options": {"method": "magnitude:0.9:global", "finetuneEpochs": 2}},
    {"step": "cluster", "options": {"clusters": 16, "storage": "uint8"}}],
   "data": {"trainLimit": 20000}, "search": {"maxTrials": 6}}
  or, in pipeline.yaml:
    seed: 1
    steps:
      - step: prune
        options: { method: "magnitude:0.9:global", finetuneEpochs: 2 }
      - step: cluster
        options: { clusters: 16, storage: uint8 }
Flags given with --preset/--config change the matching step (or add it).

Budget search (with --budget, and --data or steps): finds the smallest gzip size that meets every criterion
(or the lowest p50 when the budget limits p50/p95 and not size); trials are judged on the validation split, the
output on --split.
  Without steps, the search writes the pipeline: one cheap trial per whole-model storage choice the format
  supports (weights float16/int8/int4, static int8 with data), then per-layer allocations of magnitude sparsity
  and shared codes, ordered by fine-tuning-free probes (each layer compressed alone, measured on validation)
  and bisected: a quality miss moves to larger candidates, a size miss to smaller ones, several layers at once.
  One-shot trials first; then short screening fine-tunes (a fifth of the train split) where they can beat the
  best one-shot one, and the full fine-tune only for the smallest screened pass and just below it. Then QAT and
  narrower networks (channel-pruned and fine-tuned, or distilled into), as static int8, where their one-shot
  estimate's cost can win. A latency budget searches static int8 and the narrower networks only.
  QAT, fine-tuning, distillation and channel pruning need tfjs Layers with data; tfjs graph and ONNX models
  search weight-only steps.
  With steps, the pipeline as written is the starting point: each layer's fallback levels (it keeps twice the
  weights, gets twice the codes, then stays float) are probed and bisected the same way (tfjs Layers; other
  formats judge the pipeline as written).
Limits: --max-trials candidates and --timeout seconds for the whole run (defaults ${SEARCH_DEFAULTS.maxTrials} and
${SEARCH_DEFAULTS.timeoutSeconds} s); a trial still running at the deadline is stopped and the best so far is written.
Every trial is in report.json trials[], with the Pareto front of size × accuracy × p50 (search.pareto).
A drop limit must hold with a margin for the validation sample's noise: a trial passes only if
drop + z×SE <= limit, SE being the paired standard error of the accuracy difference on the same samples
(McNemar: b = input right/candidate wrong, c = the reverse, SE = sqrt(b + c - (b - c)^2/n)/n), z set by
--accuracy-margin (default ${SEARCH_DEFAULTS.accuracyMargin}: a one-sided ~84% bound; 1.645: ~95%; 0: the raw drop, as before).
Fewer validation samples mean a wider margin. Each trial records drop, SE and bound (trials[].accuracyMargin).
If no candidate meets the budget, the closest is still written (marked in report and lineage) and the exit
code is 1; the verdict says when validation and the evaluation split disagree. Trials are recorded in
<out>.trials.json as they finish; after Ctrl-C, --resume continues.
With --queue redis://host:port the trials run on \`shrinkml worker\` processes (any number, any machine that sees
the model and data at the same paths); the search, its report and the chosen model are the same as a local run's.

Output: the model, lineage.json (source hash, config, seeds, data splits, versions, metrics) and
report.json/md/html (Pareto plot, per-layer table, verdict) in --out; <name>.lineage.json and
<name>.report.* beside a single-file output (.json, or .onnx, whose lineage also goes in metadata_props).

Examples:
  $ shrinkml compress mnist-lenet-300-100 --out /tmp/lenet-searched --data mnist --budget "drop<=0.3%"
  $ shrinkml compress mnist-lenet-300-100 --out /tmp/lenet-small --data mnist --preset edge --budget "gzip<=40KB,drop<=0.5%"
  $ shrinkml compress mnist-lenet-300-100 --out /tmp/lenet-p90 --data mnist --prune magnitude:0.9:global --finetune-epochs 2 --quantize weights:uint8`;

async function resolveConfig(flags: CompressFlags): Promise<PipelineConfig> {
  if (flags.preset && flags.config) {
    throw new ShrinkmlError('BAD_INPUT', '--preset and --config both give a pipeline; use one (flags can change it)', { subject: '--preset' });
  }
  const base = flags.config ? await loadPipelineConfig(flags.config) : flags.preset ? getPreset(flags.preset) : undefined;
  const config = configFromFlags({
    prune: flags.prune, finetuneEpochs: flags.finetuneEpochs, distillFrom: flags.distillFrom, cluster: flags.cluster,
    clusterStorage: flags.clusterStorage, quantize: flags.quantize, seed: flags.seed,
    perChannel: flags.perChannel, observer: flags.observer, calibSamples: flags.calibSamples,
  }, base);
  if (flags.trainLimit !== undefined || flags.validationLimit !== undefined) {
    config.data = {
      ...config.data, ...(flags.trainLimit !== undefined ? { trainLimit: flags.trainLimit } : {}),
      ...(flags.validationLimit !== undefined ? { validationLimit: flags.validationLimit } : {}),
    };
  }
  return config;
}


export const compressCommand: CliCommand = {
  name: 'compress',
  register(program, io) {
    const cmd = program.command('compress')
      .description('Compress a model with a pipeline of steps (prune, distill, cluster, qat, ptq, weight-format), optionally ' +
        'searching for the most compressed candidate that meets --budget; write it to --out (atomically; the input is never ' +
        'modified) with its lineage and a report, measured against the input model.')
      .argument('<model>', 'a model folder or model.json; or an .onnx file (then --out is a .onnx file, and --prune/--quantize map to ONNX passes)')
      .addOption(new Option('--out <path>', 'output folder (or a .json path); refused if it exists unless --force').makeOptionMandatory())
      .option('--force', 'replace an existing --out (never the input model)')
      .option('--dry-run', 'validate and print the resolved pipeline, write nothing')
      .addOption(new Option('--preset <name>', 'a ready-made pipeline (see below)').choices(PRESETS.map((p) => p.name)))
      .option('--config <file>', 'a JSON pipeline config (see below)')
      .option('--prune <spec>', 'prune step: magnitude:S[:global], N:M or structured:R (see below)')
      .option('--finetune-epochs <n>', 'fine-tuning epochs of the prune and cluster steps', wholeNumber)
      .option('--distill-from <model>', "distill step: teacher model path, or 'source' for the input model")
      .option('--cluster <k>', 'cluster step: shared values per layer, 16–64 (≤ 6-bit indices)', positiveInt)
      .option('--per-channel', 'int8 steps: one weight scale per output channel (the default)')
      .option('--no-per-channel', 'int8 steps: one weight scale per tensor')
      .addOption(new Option('--observer <name>', 'int8 steps: activation range observer for calibration (default minmax)').choices([...OBSERVER_NAMES]))
      .option('--calib-samples <n>', 'int8 steps: calibration samples, drawn from the train split (default 512)', positiveInt)
      .addOption(new Option('--cluster-storage <kind>', 'codebook (smallest, shrinkml loader) or uint8 (stock tfjs)').choices(['codebook', 'uint8']))
      .option('--quantize <mode>', 'dynamic | static | qat | weights:uint8 | weights:float16 | weights:int8 | weights:int4 (see below)')
      .option('--seed <n>', 'pipeline seed (same seed, data and backend → same weights)', wholeNumber)
      .option('--train-limit <n>', 'training samples used by fine-tuning, distillation and QAT (first n of the train split)', positiveInt)
      .option('--validation-limit <n>', 'validation samples used to judge search trials', positiveInt)
      .option('--max-trials <n>', `budget search: most candidates to build and measure (default ${SEARCH_DEFAULTS.maxTrials})`, positiveInt)
      .option('--timeout <seconds>', `budget search: seconds for the whole run; a trial running at the deadline is stopped (default ${SEARCH_DEFAULTS.timeoutSeconds})`, positiveInt)
      .option('--accuracy-margin <z>', `budget search: a drop limit must hold by z standard errors of the paired accuracy difference, 0 = the raw drop (default ${SEARCH_DEFAULTS.accuracyMargin})`, marginZ)
      .option('--resume', 'continue a search from the trials recorded in <out>.trials.json')
      .option('--queue <url>', 'budget search: run the trials as jobs on a Redis/BullMQ queue, redis://host:port, taken by `shrinkml worker --queue <url>` processes (see `shrinkml worker --help`)')
      .option('--absolute-paths', 'record absolute paths of the input and data in lineage.json and report.json (default: relative to --out, with sha256)');
    addDataOptions(cmd, 'test');
    addInputOptions(cmd);
    addBackendOption(cmd);
    addLatencyOptions(cmd);
    addBudgetOption(cmd);
    addJsonOption(cmd);
    addModelLoadOptions(cmd);
    cmd.addHelpText('after', HELP);
    cmd.action(async (modelPath: string, flags: CompressFlags) => {
      const stop = handleSignals(io, {
        note: () => {
          const journal = journalPath(path.resolve(flags.out));
          return existsSync(journal) ? `trials so far are in ${journal}, rerun with --resume to continue` : undefined;
        },
      });
      try {
        checkBudgetFlags(flags);
        await compressAny(modelPath, flags, io, stop);
      } catch (e) {
        const journal = journalPath(path.resolve(flags.out));
        const kept = existsSync(journal);
        if (stop.signal.aborted && !(isShrinkmlError(e) && e.code === 'INTERRUPTED' && e.message.includes('--resume'))) {
          throw new ShrinkmlError('INTERRUPTED', `interrupted; nothing was written${kept ? `; trials so far are in ${journal}, rerun with --resume to continue` : ''}`, { cause: e });
        }
        // A failed search keeps its journal (by design, for --resume): the one line says where it is. Not when the
        // journal itself, or another run's lock, is the problem.
        if (kept && isShrinkmlError(e) && e.subject !== '--resume' && e.code !== 'EXISTS' && !e.message.includes(journal)) {
          throw new ShrinkmlError(e.code, e.message, {
            subject: e.subject, cause: e, suggestion: [e.suggestion, `trials so far are in ${journal}; --resume continues from them`].filter(Boolean).join('; '),
          });
        }
        throw e;
      } finally {
        stop.release();
      }
    });
  },
};

/** Every format through the one pipeline: the same flags, steps, lineage and report for tfjs and ONNX models. */
async function compressAny(modelPath: string, flags: CompressFlags, io: CliIo, stop: StopControl): Promise<void> {
  if (!/\.onnx$/i.test(modelPath) && /\.onnx$/i.test(flags.out)) {
    throw new ShrinkmlError('BAD_INPUT', `--out ${flags.out}: a TensorFlow.js model is written as a folder or a .json file`, {
      subject: '--out', suggestion: 'to get ONNX, compress to a folder, then `shrinkml convert <folder> --out model.onnx`',
    });
  }
  // Everything that can be checked without loading anything fails first.
  const config = await resolveConfig(flags);
  const budget = checkBudgetFlags(flags);
  const request = resolveInputFlags(flags);
  const out = path.resolve(flags.out);
  const search = {
    maxTrials: flags.maxTrials ?? config.search?.maxTrials ?? SEARCH_DEFAULTS.maxTrials,
    timeoutSeconds: flags.timeout ?? config.search?.timeoutSeconds ?? SEARCH_DEFAULTS.timeoutSeconds,
    accuracyMargin: flags.accuracyMargin ?? config.search?.accuracyMargin ?? SEARCH_DEFAULTS.accuracyMargin,
    resume: !!flags.resume,
  };
  if (flags.queue && !flags.dryRun) {
    if (!budget) throw new ShrinkmlError('BAD_INPUT', '--queue runs the trials of a budget search; give --budget too', { subject: '--queue' });
    // A wrong URL, a missing bullmq or a server that does not answer: one line within seconds, before any work.
    const { checkQueue } = await import('../../pipeline/search/queue/index.js');
    await checkQueue(flags.queue);
  }
  const input = await loadModelForCli(modelPath, flags, io);
  try {
    const resolved = await resolveCliData(input, request.data, request.inputs);
    const data = resolved?.source;
    const inputs = resolved?.inputs ?? request.inputs;
    // A step the format cannot run is one error, before any work.
    checkSupported(config, input.kind);
    if (input.kind === 'onnx' && !/\.onnx$/i.test(out)) {
      throw new ShrinkmlError('BAD_INPUT', `--out ${flags.out}: an ONNX model is written as a .onnx file`, { subject: '--out' });
    }
    if (config.steps.some((s) => s.step === 'ptq' && s.options.mode !== 'dynamic') && !data) {
      throw new ShrinkmlError('BAD_INPUT', '--quantize static needs calibration data', { subject: '--data', suggestion: 'add --data mnist (or your own data)' });
    }
    if (flags.dryRun) {
      // A structured cut is planned for real (groups and kept channels), so the dry run shows what would go.
      const structured = config.steps.find((s) => s.step === 'prune' && /^structured/.test(String(s.options.method)));
      let recipe: StructuredRecipe | null = null;
      if (structured) {
        const spec = parsePruneSpec(String(structured.options.method));
        if (spec.kind === 'structured' && input.kind === 'layers') {
          recipe = (await planStructured({ model: input.model, ratio: spec.ratio, criterion: spec.criterion, seed: config.seed,
            onWarn: (m) => io.stderr(`warning: ${m}
`) })).recipe;
          io.stderr(formatRecipe(recipe) + '\n');
        }
      }
      io.stdout(JSON.stringify({
        input: input.descriptorPath, out, config, budget: flags.budget ?? null, recipe,
        search: budget && (config.steps.length || data) ? { ...search, mode: config.steps.length ? 'relax the written pipeline' : 'search the pipeline', journal: journalPath(out), queue: flags.queue ?? null } : null,
        data: data ? { source: data, split: flags.split, limit: flags.limit ?? null } : null, inputs: inputs ?? null,
        steps: config.steps.map((s) => ({ step: s.step, options: s.options })),
      }, null, 2) + '\n');
      return;
    }
    assertNotProtected([out], [input.descriptorPath, ...input.weightFiles]);
    if (existsSync(out) && !flags.force) {
      throw new ShrinkmlError('EXISTS', `${out}: already exists`, { subject: out, suggestion: 'pass force (--force) to replace it' });
    }
    // The output (lock, destination checks), a --resume journal and the data fail before the backend is probed
    // (built-in sets are read once per process, so loading them here costs little).
    const output = await ModelOutput.open({ out: flags.out, force: flags.force, protect: [input.descriptorPath, ...input.weightFiles] });
    let choice: { device: string };
    try {
      if (flags.resume && budget && (config.steps.length || data)) checkJournal(journalPath(out));
      if (data) {
        // Samples that cannot feed the model fail here too, not after minutes of training (ONNX and --input-shape:
        // compress plans every input from the graph before running anything).
        const dataset = await loadData({ source: data, split: flags.split, limit: flags.limit, feed: resolved?.feed });
        // A criterion the data cannot measure is refused before any trial.
        if (budget) checkMeasurable(budget, { data, labelled: !!dataset.labels, latency: flags.latency !== false, outputs: formatOf(input).outputs(input) });
        if (input.kind === 'layers' && !inputs) planLayout(dataset, input.model.inputs[0]?.shape ?? []);
      }
      // ONNX runs in onnxruntime-node: no tfjs backend is probed for it.
      choice = input.kind === 'onnx' ? { device: 'onnxruntime-node (CPU)' } : await useBackend(flags.backend, io);
    } catch (e) {
      output.discard();
      throw e;
    }
    const result = await compress(input, flags.out, {
      config, force: flags.force, budget, search, queue: flags.queue, absolutePaths: flags.absolutePaths, output, inputs,
      data: data ? { source: data, split: flags.split, limit: flags.limit, batchSize: flags.batchSize, feed: resolved?.feed ?? {} } : undefined,
      latency: flags.latency ? { batchSizes: flags.batchSizes, runs: flags.runs, warmup: flags.warmup } : false,
      onProgress: stderrProgress(io), onWarn: (m) => io.stderr(`warning: ${m}\n`), onLog: (l) => io.stderr(`${l}\n`), signal: stop.signal,
      onPhase: pauseForTests(io, stop.signal),
    });
    for (const note of resolved?.notes ?? []) io.stderr(`note: ${note}\n`);
    io.stderr(`wrote ${result.modelJsonPath} and ${path.basename(result.reports.html)}\n`);
    // Data-free steps change the outputs unseen (weights:int4 on a small detector: cosine 0.66 against the original).
    if (!data && config.steps.length) {
      io.stderr(`note: outputs not compared with the input model (no --data); \`shrinkml eval ${result.modelJsonPath} --data <inputs>\` compares them (agreement, cosine, PSNR)\n`);
    }
    const { measurement, report } = result;
    if (report.budget) io.stderr(`budget ${report.budget.pass ? 'met' : 'NOT met'}: ${report.budget.message}\n`);
    if (result.exitCode) io.setExitCode(result.exitCode);
    if (flags.json) {
      io.stdout(JSON.stringify({
        ...measurement, device: choice.device, out: result.modelJsonPath, lineage: result.lineage, reports: result.reports,
        budgetMessage: report.budget?.message, closest: report.budget?.closest ?? false, trials: report.trials.length,
      }, null, 2) + '\n');
    } else {
      io.stdout(`${result.modelJsonPath}${report.budget?.closest ? '  (closest candidate: the budget was not met)' : ''}\n`);
      io.stdout(formatMeasurement(measurement));
      io.stdout(`report: ${result.reports.html}\n`);
    }
  } finally {
    disposeLoaded(input);
  }
}
