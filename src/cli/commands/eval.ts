import type { CliCommand } from '../command.js';
import type { BackendChoice } from '../../backends/index.js';
import { addBackendOption, useBackend } from '../shared/backend.js';
import { evaluateForCli, type EvaluateFlags } from '../shared/evaluate.js';
import { loadData } from '../../data/index.js';
import { measureOnnx } from '../../onnx/measure.js';
import { ShrinkmlError } from '../../core/errors.js';
import { describeIo, disposeLoaded, loadAnyModelForCli } from '../shared/model.js';
import { stderrProgress } from '../shared/progress.js';
import { addBudgetOption, addDataOptions, addJsonOption, addLatencyOptions, addModelLoadOptions } from '../shared/options.js';
import { formatMeasurement } from '../shared/report.js';
import { checkBudgetFlags, needsReference } from '../shared/evaluate.js';
import { readLineage } from '../../pipeline/lineage.js';

interface EvalFlags extends EvaluateFlags {
  json?: boolean;
  backend: string;
  reference?: string;
  allowNonfinite?: boolean;
}

export const evalCommand: CliCommand = {
  name: 'eval',
  register(program, io) {
    const cmd = program.command('eval')
      .description('Measure a model: accuracy (and agreement with a reference), latency p50/p95, size and gzip size, ' +
        'and check them against a --budget (exit code 1 when it fails: usable as a CI gate).')
      .argument('<model>', 'a model folder, model.json, or .onnx file (ONNX runs in onnxruntime-node; --backend does not apply)')
      .option('--reference <model>', 'model to compare with for drop/agreement (default: the source recorded by `compress`, if any)');
    addDataOptions(cmd, 'test');
    addBackendOption(cmd);
    addLatencyOptions(cmd);
    addBudgetOption(cmd);
    addJsonOption(cmd);
    addModelLoadOptions(cmd);
    cmd.addHelpText('after', `
Examples:
  $ shrinkml eval mnist-lenet-300-100 --data mnist
  $ shrinkml eval /tmp/small --data mnist --reference mnist-lenet-300-100 --budget "gzip<=200KB,drop<=0.5%" --json`);
    cmd.action(async (modelPath: string, flags: EvalFlags) => {
      // Inputs first, the backend last: a bad model, budget or data fails as one line before anything is probed,
      // and an ONNX model never probes a tfjs backend at all.
      const budget = checkBudgetFlags(flags);
      const loaded = await loadAnyModelForCli(modelPath, flags, io);
      let referencePath = flags.reference;
      if (!referencePath && flags.data) {
        const lineage = readLineage(loaded.descriptorPath);
        if (lineage?.sourceFound) referencePath = lineage.source;
        else if (lineage) {
          // Recorded relative to the output: the pair of folders moved apart. One line, then the user decides.
          const message = `${lineage.file}: the input model it records is not at ${lineage.source} any more`;
          if (needsReference(budget)) {
            disposeLoaded(loaded);
            throw new ShrinkmlError('BAD_INPUT', message, { subject: '--reference', suggestion: 'pass --reference <the original model>' });
          }
          io.stderr(`note: ${message}; pass --reference <the original model> to compare against it\n`);
        }
      }
      const reference = referencePath ? await loadAnyModelForCli(referencePath, flags, io) : undefined;
      if (reference && !flags.reference) io.stderr(`reference: ${referencePath} (recorded by compress)\n`);
      try {
        let measurement;
        let choice: BackendChoice | undefined;
        if (loaded.kind === 'onnx') {
          if (needsReference(budget) && !reference) {
            throw new ShrinkmlError('BUDGET', 'budget criteria compare against a reference model, and none is known', { subject: '--budget', suggestion: 'pass --reference <original model>' });
          }
          const dataset = flags.data ? await loadData({ source: flags.data, split: flags.split, limit: flags.limit }) : undefined;
          measurement = await measureOnnx({
            loaded, reference, dataset, batchSize: flags.batchSize, budget: flags.budget, onProgress: stderrProgress(io),
            latency: flags.latency ? { batchSizes: flags.batchSizes, runs: flags.runs, warmup: flags.warmup } : false,
          });
          // Said once it ran: a model onnxruntime refuses then fails with exactly one line.
          io.stderr('runtime: onnxruntime-node (CPU)\n');
        } else {
          if (reference?.kind === 'onnx') {
            throw new ShrinkmlError('UNSUPPORTED', `${referencePath}: an ONNX reference can only be compared with an ONNX model`, { subject: '--reference' });
          }
          measurement = (await evaluateForCli({ loaded, reference, flags, io, beforeMeasure: async () => { choice = await useBackend(flags.backend, io); } })).measurement;
        }
        if (measurement.budget && !measurement.budget.pass) io.setExitCode(1);
        if (flags.json) {
          io.stdout(JSON.stringify({
            ...measurement, device: loaded.kind === 'onnx' ? 'onnxruntime-node (CPU)' : choice!.device, reference: referencePath ?? null, data: flags.data ?? null,
            split: flags.data ? flags.split : null, ...describeIo(loaded),
          }, null, 2) + '\n');
        } else {
          io.stdout(`${loaded.source} on ${loaded.kind === 'onnx' ? 'onnxruntime-node (CPU)' : `${choice!.backend} (${choice!.device})`}\n`);
          io.stdout(formatMeasurement(measurement));
        }
      } finally {
        disposeLoaded(loaded);
        disposeLoaded(reference);
      }
    });
  },
};
