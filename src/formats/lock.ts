import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import { tempFolders } from './cleanup.js';

/**
 * One writer per output. A run that will write `target` holds `<target>.lock` beside it (created with O_EXCL, so
 * of two runs exactly one gets it) from its first check until its output is committed or discarded; the other
 * run fails at once with one line instead of mixing its files into the first run's folder.
 *
 * A lock is stale, and taken over, when its holder is gone: same host and the pid no longer runs, or the file
 * was not refreshed for STALE_AFTER_MS (a live holder touches it every HEARTBEAT_MS; this also covers another
 * host, where a pid means nothing, and a pid reused by an unrelated process). Locks are re-entrant within a process, so a writer may lock what its caller already holds.
 */
export const LOCK_SUFFIX = '.lock';
const HEARTBEAT_MS = 60_000;
const STALE_AFTER_MS = 10 * 60_000;
/** A lock file still empty (its holder is between create and write) is not judged for this long. */
const FRESH_MS = 5_000;

interface LockInfo { pid: number; host: string; startedAt: string }

export interface OutputLock {
  /** The lock file. */
  readonly file: string;
  /** Give the lock up (idempotent); the file goes when the last holder in this process releases it. */
  release(): void;
}

interface Held { count: number; timer: NodeJS.Timeout; untrack: () => void }
const held = new Map<string, Held>();

export function lockPath(target: string): string {
  return `${path.resolve(target).replace(/[\\/]+$/, '')}${LOCK_SUFFIX}`;
}

/** Take the lock on `target` (a folder or file path), or throw EXISTS naming the run that holds it. */
export function lockOutput(target: string): OutputLock {
  const file = lockPath(target);
  const mine = held.get(file);
  if (mine) {
    mine.count++;
    return handle(file);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() } satisfies LockInfo));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        throw new ShrinkmlError('BAD_INPUT', `${target}: cannot create the output lock ${file} (${code ?? (e as Error).message})`, {
          subject: target, suggestion: 'check that the folder of --out exists and is writable', cause: e,
        });
      }
      const holder = readHolder(file);
      if (attempt === 0 && holder.stale) {
        rmSync(file, { force: true });
        continue;
      }
      const who = holder.info ? `pid ${holder.info.pid} on ${holder.info.host}, since ${holder.info.startedAt}` : 'starting';
      throw new ShrinkmlError('EXISTS', `${target}: another shrinkml run (${who}) is writing this output`, {
        subject: target, suggestion: `wait for it to finish or choose another output; if no such run exists, delete ${file}`,
      });
    }
  }
  // Refresh the mtime so a holder on another host is not judged stale; unref'd: the lock never keeps a process alive.
  const timer = setInterval(() => {
    const now = new Date();
    try { utimesSync(file, now, now); } catch { /* released or removed by hand: nothing to refresh */ }
  }, HEARTBEAT_MS);
  timer.unref();
  // An interrupted run must not leave its lock behind (the registry removes it on a signal or at exit).
  held.set(file, { count: 1, timer, untrack: tempFolders.track(file) });
  return handle(file);
}

function handle(file: string): OutputLock {
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      const h = held.get(file);
      if (!h || --h.count > 0) return;
      held.delete(file);
      clearInterval(h.timer);
      rmSync(file, { force: true });
      h.untrack();
    },
  };
}

function readHolder(file: string): { info?: LockInfo; stale: boolean } {
  let mtime = Date.now();
  let info: LockInfo | undefined;
  try {
    mtime = statSync(file).mtimeMs;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') info = { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt) };
  } catch (e) {
    // Gone between our open and this read: retry. Unreadable JSON: judged by age alone.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { stale: true };
  }
  const age = Date.now() - mtime;
  if (!info) return { stale: age > FRESH_MS };
  // A live holder refreshes the file every minute: an old one is stale even if its pid now names another process.
  if (info.host === os.hostname()) return { info, stale: !alive(info.pid) || age > STALE_AFTER_MS };
  return { info, stale: age > STALE_AFTER_MS };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
