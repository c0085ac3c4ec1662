import * as tf from '@tensorflow/tfjs';
import { CommanderError } from 'commander';
// Registers the int8 layer classes so every command reads shrinkml int8 models.
import '../runtime/index.js';
import { isShrinkmlError, type ErrorCode } from '../core/errors.js';
import type { CliIo } from './command.js';
import { buildProgram } from './program.js';

/** Exit codes: 1 = a budget was measured and missed, 2 = bad input or usage (an unparseable or impossible budget too), 3 = environment (backend, missing package, unreachable queue server), 130 = Ctrl-C, 143 = SIGTERM (cli/signals.ts). */
const EXIT_BY_CODE: Partial<Record<ErrorCode, number>> = {
  BUDGET: 2, BAD_INPUT: 2, NOT_FOUND: 2, UNSUPPORTED: 2, NON_FINITE: 2, LIMIT: 2, EXISTS: 2,
  BACKEND: 3, UNREACHABLE: 3, INTERRUPTED: 130, INTERNAL: 70,
};

export function formatError(e: unknown): string {
  if (isShrinkmlError(e)) {
    return `shrinkml: error: ${e.message}${e.suggestion ? ` (${e.suggestion})` : ''}`;
  }
  const message = e instanceof Error ? e.message : String(e);
  return `shrinkml: internal error: ${message.split('\n')[0]}`;
}

/** Set once process.stdout's reader has gone (EPIPE). */
let stdoutClosed = false;

/**
 * Writes to process.stdout; once the reader has gone (`shrinkml compress --help | head`: EPIPE) further output is
 * dropped rather than crashing the run with an unhandled 'error' event — the work and its files still complete.
 */
function processStdout(): (text: string) => void {
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError);
  return (text) => { if (!stdoutClosed) process.stdout.write(text); };
}

function onStdoutError(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e;
  stdoutClosed = true;
}

/** Runs the CLI and returns the exit code; never calls process.exit so that it is testable in-process. */
export async function main(argv: string[], io?: Partial<CliIo>): Promise<number> {
  let exitCode = 0;
  const cliIo: CliIo = {
    stdout: io?.stdout ?? processStdout(),
    stderr: io?.stderr ?? ((t) => process.stderr.write(t)),
    setExitCode: (code) => { exitCode = Math.max(exitCode, code); },
  };
  // tfjs prints banners and hints through console.warn; the CLI keeps stderr for its own messages.
  if (!process.env.SHRINKML_DEBUG) tf.env().set('PROD', true);
  const program = buildProgram(cliIo);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (help, version, or a usage error).
      return e.exitCode === 0 ? 0 : 2;
    }
    cliIo.stderr(formatError(e) + '\n');
    if (process.env.SHRINKML_DEBUG && e instanceof Error) cliIo.stderr(`${e.stack}\n`);
    return isShrinkmlError(e) ? (EXIT_BY_CODE[e.code] ?? 2) : 70;
  }
}
