import { Command } from 'commander';
import type { CliIo } from './command.js';
import { COMMANDS } from './commands/index.js';
import { VERSION } from '../core/version.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command('shrinkml')
    .description('Make neural networks small and fast for the web and the edge: measure, prune, quantize, distill.\n' +
      'Models: TensorFlow.js Layers/Graph model folders or model.json files (ONNX: see `compress --help`).')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .addHelpText('after', `
Examples:
  $ shrinkml inspect models/mnist-lenet-300-100
  $ shrinkml eval models/mnist-lenet-300-100 --data mnist --budget "gzip<=1MB,p50<=5ms,acc>=0.98"
  $ shrinkml eval models/mnist-lenet-300-100 --data mnist --json > report.json
  $ shrinkml compress models/mnist-lenet-300-100 --out /tmp/small --data mnist

Exit codes: 0 ok, 1 budget failed, 2 bad input or usage, 3 backend unavailable, 130 interrupted.`);
  for (const command of COMMANDS) command.register(program, io);
  // Subcommands inherit exitOverride/output so errors come back to main() instead of exiting the process.
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
      .showHelpAfterError('(run with --help for usage)');
  }
  return program;
}
