import type { CliCommand } from '../command.js';
import { benchCommand } from './bench.js';
import { compressCommand } from './compress.js';
import { convertCommand } from './convert.js';
import { distillCommand } from './distill.js';
import { evalCommand } from './eval.js';
import { inspectCommand } from './inspect.js';
import { workerCommand } from './worker.js';

/** Every CLI command, one file each. Adding a command = one file + one line here. */
export const COMMANDS: readonly CliCommand[] = [
  inspectCommand,
  evalCommand,
  compressCommand,
  distillCommand,
  convertCommand,
  benchCommand,
  workerCommand,
];
