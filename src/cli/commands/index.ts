import type { CliCommand } from '../command.js';

/** Every CLI command, one file each. Adding a command = one file + one line here. */
export const COMMANDS: readonly CliCommand[] = [];
