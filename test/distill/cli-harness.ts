import { Command } from 'commander';
import { distillCommand } from '../../src/cli/commands/distill.js';
import type { CliIo } from '../../src/cli/command.js';
import { formatError } from '../../src/cli/main.js';

/** The distill command alone in a program, run in-process (the lead lists it in commands/index.ts). */
export async function runDistillCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io: CliIo = { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, setExitCode: (c) => { code = c; } };
  const program = new Command('shrinkml').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  distillCommand.register(program, io);
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  try {
    await program.parseAsync(['node', 'shrinkml', ...args]);
  } catch (e) {
    stderr += formatError(e);
    code = 2;
  }
  return { code, stdout, stderr };
}
