import type { CliCommand } from '../command.js';
import { addBackendOption, useBackend } from '../shared/backend.js';
import { evaluateForCli, type EvaluateFlags } from '../shared/evaluate.js';
import { describeIo, loadModelForCli } from '../shared/model.js';
import { addBudgetOption, addDataOptions, addJsonOption, addLatencyOptions, addModelLoadOptions } from '../shared/options.js';
import { formatMeasurement } from '../shared/report.js';
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
      .argument('<model>', 'a model folder or model.json')
      .option('--reference <model>', 'model to compare with for drop/agreement (default: the source recorded by `compress`, if any)');
    addDataOptions(cmd, 'test');
    addBackendOption(cmd);
    addLatencyOptions(cmd);
    addBudgetOption(cmd);
    addJsonOption(cmd);
    addModelLoadOptions(cmd);
    cmd.addHelpText('after', `
Examples:
  $ shrinkml eval models/mnist-lenet-300-100 --data mnist
  $ shrinkml eval small/ --data mnist --reference models/mnist-lenet-300-100 --budget "gzip<=200KB,drop<=0.5%" --json`);
    cmd.action(async (modelPath: string, flags: EvalFlags) => {
      const choice = await useBackend(flags.backend, io);
      const loaded = await loadModelForCli(modelPath, flags, io);
      const referencePath = flags.reference ?? (flags.data ? readLineage(loaded.descriptorPath)?.source : undefined);
      const reference = referencePath ? await loadModelForCli(referencePath, flags, io) : undefined;
      if (reference && !flags.reference) io.stderr(`reference: ${referencePath} (recorded by compress)\n`);
      try {
        const { measurement } = await evaluateForCli({ loaded, reference, flags, io });
        if (measurement.budget && !measurement.budget.pass) io.setExitCode(1);
        if (flags.json) {
          io.stdout(JSON.stringify({
            ...measurement, device: choice.device, reference: referencePath ?? null, data: flags.data ?? null,
            split: flags.data ? flags.split : null, ...describeIo(loaded),
          }, null, 2) + '\n');
        } else {
          io.stdout(`${loaded.source} on ${choice.backend} (${choice.device})\n`);
          io.stdout(formatMeasurement(measurement));
        }
      } finally {
        loaded.model.dispose();
        reference?.model.dispose();
      }
    });
  },
};
