import type { Command } from 'commander';

/**
 * One CLI command per file: each exports a CliCommand, listed once in ./commands/index.ts.
 * Actions throw ShrinkmlError for bad input; ./main.ts prints it as one line and sets the exit code.
 * Output: `--json` prints exactly one JSON document on stdout; everything else (progress, logs) goes to stderr.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Set a non-zero exit code without throwing (e.g. a failed budget after a full report). */
  setExitCode(code: number): void;
}

export interface CliCommand {
  name: string;
  register(program: Command, io: CliIo): void;
}
