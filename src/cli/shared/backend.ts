import { Option, type Command } from 'commander';
import { BACKEND_REQUESTS, selectBackend, type BackendChoice, type BackendRequest } from '../../backends/index.js';
import type { CliIo } from '../command.js';

export function addBackendOption(command: Command): Command {
  return command.addOption(
    new Option('--backend <name>', 'where to run: auto picks a hardware WebGPU adapter, then tfjs-node, then wasm, then cpu')
      .choices(BACKEND_REQUESTS as string[]).default('auto'),
  );
}

/** Activates the backend and says which one on stderr (stdout stays clean for --json). */
export async function useBackend(request: string, io: CliIo): Promise<BackendChoice> {
  const choice = await selectBackend({ backend: request as BackendRequest });
  // The first clause of each reason is enough here; --backend <name> gives the full story as an error.
  const skipped = choice.skipped.map((s) => `${s.backend} (${s.why.split(' (')[0]})`).join(', ');
  io.stderr(`backend: ${choice.backend} (${choice.device})${request === 'auto' && skipped ? ` — skipped ${skipped}` : ''}\n`);
  return choice;
}
