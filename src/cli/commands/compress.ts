import { Option } from 'commander';
import { ShrinkmlError } from '../../core/errors.js';
import { saveLayersModel, loadModel } from '../../formats/index.js';
import { buildLineage, LINEAGE_FILE, type Lineage } from '../../pipeline/lineage.js';
import type { CliCommand } from '../command.js';
import { addBackendOption, useBackend } from '../shared/backend.js';
import { evaluateForCli, type EvaluateFlags } from '../shared/evaluate.js';
import { loadModelForCli } from '../shared/model.js';
import { addBudgetOption, addDataOptions, addJsonOption, addLatencyOptions, addModelLoadOptions } from '../shared/options.js';
import { formatMeasurement } from '../shared/report.js';

interface CompressFlags extends EvaluateFlags {
  out: string;
  force?: boolean;
  json?: boolean;
  backend: string;
  allowNonfinite?: boolean;
  dryRun?: boolean;
}

export const compressCommand: CliCommand = {
  name: 'compress',
  register(program, io) {
    const cmd = program.command('compress')
      .description('Compress a model and write the result to --out (atomically; the input is never modified), then ' +
        'measure it against the input model and check the --budget.')
      .argument('<model>', 'a model folder or model.json')
      .addOption(new Option('--out <path>', 'output folder (or a .json path); refused if it exists unless --force').makeOptionMandatory())
      .option('--force', 'replace an existing --out (never the input model)')
      .option('--dry-run', 'print what would be done and write nothing');
    addDataOptions(cmd, 'test');
    addBackendOption(cmd);
    addLatencyOptions(cmd);
    addBudgetOption(cmd);
    addJsonOption(cmd);
    addModelLoadOptions(cmd);
    cmd.addHelpText('after', `
Examples:
  $ shrinkml compress models/mnist-lenet-300-100 --out /tmp/lenet-copy --data mnist --budget "drop<=0.5%"`);
    cmd.action(async (modelPath: string, flags: CompressFlags) => {
      const choice = await useBackend(flags.backend, io);
      const input = await loadModelForCli(modelPath, flags, io);
      try {
        if (input.kind !== 'layers') {
          throw new ShrinkmlError('UNSUPPORTED', `${input.descriptorPath}: compress writes TensorFlow.js LayersModels; this is a ${input.kind} model`, {
            suggestion: 'use `shrinkml eval` to measure it',
          });
        }
        const steps: Lineage['steps'] = [];
        if (flags.dryRun) {
          io.stdout(JSON.stringify({ input: input.descriptorPath, out: flags.out, steps }, null, 2) + '\n');
          return;
        }
        const lineage = buildLineage({
          loaded: input, steps,
          data: flags.data ? { source: flags.data, split: flags.split } : undefined,
        });
        const saved = await saveLayersModel(input.model, flags.out, {
          force: flags.force, protect: [input.descriptorPath, ...input.weightFiles],
          extraFiles: { [LINEAGE_FILE]: lineage },
        });
        io.stderr(`wrote ${saved.modelJsonPath}\n`);
        const output = await loadModel(saved.modelJsonPath);
        try {
          const { measurement } = await evaluateForCli({ loaded: output, reference: input, flags, io });
          if (measurement.budget && !measurement.budget.pass) io.setExitCode(1);
          if (flags.json) {
            io.stdout(JSON.stringify({ ...measurement, device: choice.device, out: saved.modelJsonPath, lineage }, null, 2) + '\n');
          } else {
            io.stdout(`${saved.modelJsonPath}\n`);
            io.stdout(formatMeasurement(measurement));
          }
        } finally {
          output.model.dispose();
        }
      } finally {
        input.model.dispose();
      }
    });
  },
};
