import type { CliCommand } from '../command.js';
import type { BackendChoice } from '../../backends/index.js';
import { addBackendOption, useBackend } from '../shared/backend.js';
import { evaluateForCli, type EvaluateFlags } from '../shared/evaluate.js';
import { ShrinkmlError } from '../../core/errors.js';
import { describeIo, disposeLoaded, loadAnyModelForCli } from '../shared/model.js';
import { resolveCliData, resolveInputFlags, type DataFlags } from '../shared/inputs.js';
import { addBudgetOption, addDataOptions, addInputOptions, addJsonOption, addLatencyOptions, addModelLoadOptions, dataHelp, type InputFlags } from '../shared/options.js';
import { formatMeasurement } from '../shared/report.js';
import { checkBudgetFlags, needsReference } from '../shared/evaluate.js';
import { readLineage } from '../../pipeline/lineage.js';

interface EvalFlags extends EvaluateFlags, InputFlags, DataFlags {
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
    addInputOptions(cmd);
    addBackendOption(cmd);
    addLatencyOptions(cmd);
    addBudgetOption(cmd);
    addJsonOption(cmd);
    addModelLoadOptions(cmd);
    cmd.addHelpText('after', `
${dataHelp({ feeding: true })}

Examples:
  $ shrinkml eval mnist-lenet-300-100 --data mnist
  $ shrinkml eval /tmp/small --data mnist --reference mnist-lenet-300-100 --budget "gzip<=200KB,drop<=0.5%" --json`);
    cmd.action(async (modelPath: string, flags: EvalFlags) => {
      // Inputs first, the backend last: a bad model, budget or data fails as one line before anything is probed,
      // and an ONNX model never probes a tfjs backend at all.
      const budget = checkBudgetFlags(flags);
      const request = resolveInputFlags(flags);
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
        let choice: BackendChoice | undefined;
        const data = await resolveCliData(loaded, request.data, request.inputs);
        const inputs = data?.inputs ?? request.inputs;
        const onnx = loaded.kind === 'onnx';
        // One measurement path for every format; ONNX alone (model and reference) never probes a tfjs backend.
        const { measurement } = await evaluateForCli({
          loaded, reference, flags, io, inputs, data,
          beforeMeasure: async () => { if (!onnx || (reference && reference.kind !== 'onnx')) choice = await useBackend(flags.backend, io); },
        });
        // Said once it ran: a model onnxruntime refuses then fails with exactly one line.
        if (onnx) io.stderr('runtime: onnxruntime-node (CPU)\n');
        if (measurement.budget && !measurement.budget.pass) io.setExitCode(1);
        if (flags.json) {
          io.stdout(JSON.stringify({
            ...measurement, device: onnx ? 'onnxruntime-node (CPU)' : choice!.device, reference: referencePath ?? null, data: data?.source ?? null,
            split: flags.data ? flags.split : null, ...describeIo(loaded),
          }, null, 2) + '\n');
        } else {
          io.stdout(`${loaded.source} on ${onnx ? 'onnxruntime-node (CPU)' : `${choice!.backend} (${choice!.device})`}\n`);
          io.stdout(formatMeasurement(measurement));
        }
      } finally {
        disposeLoaded(loaded);
        disposeLoaded(reference);
      }
    });
  },
};
