import type { CliIo } from './command.js';

/**
 * How a long CLI command stops; the one place the CLI listens for signals.
 *
 * - First Ctrl-C (SIGINT): one notice line and `signal` aborts. The command stops at its next step boundary,
 *   writes nothing (a staged output is discarded, never committed) and exits 130.
 * - Second Ctrl-C, or SIGTERM at any time: quit now: one line, temp folders and output locks removed
 *   synchronously (formats/cleanup.ts, at exit), exit 130 (SIGTERM: 143).
 *
 * The search journal (`<out>.trials.json`) is not a temp file: it stays so `--resume` can continue; `note()` adds
 * such a line to the quit message. `notice` replaces what the first Ctrl-C says the command will do.
 */
export interface StopControl {
  signal: AbortSignal;
  release(): void;
}

export function handleSignals(io: CliIo, options: { note?: () => string | undefined; notice?: string } = {}): StopControl {
  const controller = new AbortController();
  const quit = (signal: NodeJS.Signals) => {
    const note = options.note?.();
    io.stderr(`shrinkml: error: ${signal === 'SIGTERM' ? 'terminated' : 'interrupted'}; nothing was written${note ? `; ${note}` : ''}\n`);
    // process.exit runs the cleanup registry's exit hook: temp folders and locks go before the process does.
    process.exit(signal === 'SIGTERM' ? 143 : 130);
  };
  const onInt = () => {
    if (controller.signal.aborted) return quit('SIGINT');
    io.stderr(`\ninterrupted: ${options.notice ?? 'stopping at the next step boundary without writing the output'} (Ctrl-C again to quit now)\n`);
    controller.abort();
  };
  const onTerm = () => quit('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/**
 * A test hook for interrupt safety, inert unless SHRINKML_TEST_PAUSE_AT names a phase: at that phase the command
 * prints `phase: <name>` on stderr and waits for a signal (at most SHRINKML_TEST_PAUSE_MS, default 30 s), so a
 * test can interrupt it, or start a second writer, exactly there; SIGUSR2 resumes it.
 */
export function pauseForTests(io: CliIo, signal: AbortSignal): ((phase: string) => Promise<void>) | undefined {
  const at = process.env.SHRINKML_TEST_PAUSE_AT;
  if (!at) return undefined;
  return async (phase) => {
    if (phase !== at) return;
    io.stderr(`phase: ${phase}\n`);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        process.off('SIGUSR2', done);
        resolve();
      };
      const timer = setTimeout(done, Number(process.env.SHRINKML_TEST_PAUSE_MS) || 30_000);
      process.on('SIGUSR2', done);
      signal.addEventListener('abort', done, { once: true });
    });
  };
}
