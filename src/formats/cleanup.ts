import { rmSync } from 'node:fs';

/**
 * Temp folders (and output locks) that must not outlive an interrupted save. While any is registered we listen for
 * SIGINT/SIGTERM (and exit); when nobody else handles the signal, the handler removes them synchronously and
 * re-raises it so the process still dies the way the user asked; when someone does (the CLI's signals.ts), they
 * go at exit. Listeners are removed as soon as nothing is registered.
 */
export interface SignalTarget {
  pid: number;
  on(event: string, listener: (signal?: NodeJS.Signals) => void): unknown;
  off(event: string, listener: (signal?: NodeJS.Signals) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: NodeJS.Signals): unknown;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export interface CleanupRegistry {
  /** Remove `path` (recursively) if the process is interrupted; call the returned function once it is no longer needed. */
  track(path: string): () => void;
  /** Paths currently tracked (for tests). */
  tracked(): string[];
}

export function createCleanupRegistry(proc: SignalTarget = process): CleanupRegistry {
  const paths = new Set<string>();
  const removeAll = () => {
    for (const p of paths) rmSync(p, { recursive: true, force: true });
    paths.clear();
  };
  const onSignal = (signal?: NodeJS.Signals) => {
    // Someone else handles this signal (the CLI stops gracefully on a first Ctrl-C): leave the paths to them and
    // to the exit hook, or a run that goes on would lose its temp folder under its feet.
    if (signal && proc.listenerCount(signal) > 1) return;
    removeAll();
    detach();
    if (signal && proc.listenerCount(signal) === 0) proc.kill(proc.pid, signal);
  };
  const attach = () => {
    for (const s of SIGNALS) proc.on(s, onSignal);
    proc.on('exit', removeAll);
  };
  const detach = () => {
    for (const s of SIGNALS) proc.off(s, onSignal);
    proc.off('exit', removeAll);
  };
  return {
    track(path) {
      if (paths.size === 0) attach();
      paths.add(path);
      return () => {
        if (!paths.delete(path)) return;
        if (paths.size === 0) detach();
      };
    },
    tracked: () => [...paths],
  };
}

export const tempFolders = createCleanupRegistry();
