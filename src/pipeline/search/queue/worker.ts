import { existsSync } from 'node:fs';
import * as os from 'node:os';
import { isShrinkmlError } from '../../../core/errors.js';
import type { ProgressFn, WarnFn } from '../../../core/progress.js';
import type { SearchJobContext } from '../executor.js';
import { executeTrial, openTrialRuntime, type TrialRuntime } from '../trial.js';
import type { TrialRecord } from '../types.js';
import { loadBullmq, parseQueueUrl, probeQueue } from './connection.js';
import { QUEUE_NAME, readTrialJob, type TrialJob } from './job.js';

export interface QueueWorkerOptions {
  /** `redis://host:port` of the queue's Redis server. */
  url: string;
  /**
   * The module that runs trials, in a child process: it default-exports {@link trialProcessor}'s result. Trials
   * run off this process so that its event loop stays free to renew the running trial's lock however long a
   * step holds the CPU; a busy worker would otherwise look dead and have its trial taken away.
   */
  processorFile: string;
  /**
   * Seconds a running trial's lock lasts without renewal (renewed every half of it while the worker lives). A worker
   * that dies holds its trial this long at most before another worker takes it over. Default 30.
   */
  lockSeconds?: number;
  /** How this worker is named in the searcher's messages; default `<hostname>-<pid>`. */
  name?: string;
  onLog?: (line: string) => void;
  /** Aborting stops taking trials; the one running finishes and reports first. */
  signal?: AbortSignal;
}

export const DEFAULT_LOCK_SECONDS = 30;

const short = (searchId: string) => searchId.slice(0, 8);

/** What the trial process reports to, and how it sets the search's backend. */
export interface TrialProcessorHooks {
  /**
   * Called before the first trial of each search: sets the tfjs backend the search ran on (`ctx.backend`), so the
   * same seed builds the same weights here.
   */
  prepare?: (ctx: SearchJobContext) => Promise<void>;
  onLog?: (line: string) => void;
  onProgress?: ProgressFn;
  onWarn?: WarnFn;
}

/** The part of a BullMQ job a trial processor reads (a sandboxed job is a plain copy of it). */
export interface TrialJobView { id?: string; data: unknown; attemptsStarted?: number }

/**
 * The job processor of a worker's trial process: opens each search's runtime (model, data, budget) once, from
 * the paths in the job, and keeps it while that search's trials keep coming. A trial's error fails its job as
 * `[CODE] message`, which the searcher turns back into one line. Meant for a process of its own (it moves into the
 * searcher's working folder when this machine has it).
 */
export function trialProcessor(o: TrialProcessorHooks): (job: TrialJobView) => Promise<TrialRecord> {
  let open: TrialRuntime | undefined;
  const runtimeFor = async (ctx: SearchJobContext): Promise<TrialRuntime> => {
    if (open?.ctx.searchId === ctx.searchId) return open;
    await open?.close();
    open = undefined;
    await o.prepare?.(ctx);
    open = await openTrialRuntime(ctx, { onProgress: o.onProgress, onWarn: o.onWarn });
    return open;
  };
  return async (job) => {
    const { ctx, spec, cwd } = readTrialJob(job.id, job.data);
    // Only ever in a trial process of its own (BullMQ's sandbox): relative paths then resolve as on the searcher.
    if (cwd && cwd !== process.cwd() && existsSync(cwd)) process.chdir(cwd);
    const label = `search ${short(ctx.searchId)}, trial ${spec.id}`;
    o.onLog?.(`${label}: started${(job.attemptsStarted ?? 1) > 1 ? ' (again: its first worker stopped)' : ''} — ${spec.reason}`);
    try {
      const record = await executeTrial(await runtimeFor(ctx), spec);
      o.onLog?.(`${label}: done in ${record.seconds.toFixed(1)} s — gzip ${record.metrics.gzipBytes} B, ${record.pass ? 'PASS' : 'FAIL'} on validation`);
      return record;
    } catch (e) {
      const message = isShrinkmlError(e) ? `[${e.code}] ${e.message}${e.suggestion ? ` (${e.suggestion})` : ''}` : `[INTERNAL] ${(e as Error).message?.split('\n')[0]}`;
      o.onLog?.(`${label}: failed — ${message}`);
      throw new Error(message, { cause: e });
    }
  };
}

/**
 * Takes budget-search trials from the queue, one at a time (a trial uses every core the backend uses), and runs
 * each in a child process on `processorFile`, until `signal` aborts. Returns how many trials it finished.
 */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<{ trials: number }> {
  const conn = parseQueueUrl(o.url);
  const bull = await loadBullmq();
  await probeQueue(bull, conn);
  const lockMs = Math.round(1000 * (o.lockSeconds ?? DEFAULT_LOCK_SECONDS));
  const name = o.name ?? `${os.hostname()}-${process.pid}`;
  let trials = 0;
  const worker = new bull.Worker<TrialJob, TrialRecord>(QUEUE_NAME, o.processorFile, {
    connection: conn.options, name, concurrency: 1, autorun: false,
    // A dead worker's trial goes back on the queue once its lock lapses; a second lapse is still retried, a third
    // (a trial that kills every worker it lands on) fails the search instead of looping.
    lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 2,
  });
  worker.on('completed', () => { trials++; });
  let lastError = '';
  worker.on('error', (e) => {
    if (e.message !== lastError) o.onLog?.(`queue ${conn.shown}: ${e.message.split('\n')[0]}`);
    lastError = e.message;
  });
  const stop = () => { void worker.close(); };
  o.signal?.addEventListener('abort', stop, { once: true });
  try {
    await worker.waitUntilReady();
    o.onLog?.(`worker ${name}: waiting for trials on ${conn.shown} (${QUEUE_NAME}); Ctrl-C stops it after the running trial`);
    if (!o.signal?.aborted) await worker.run();
    return { trials };
  } finally {
    o.signal?.removeEventListener('abort', stop);
    await worker.close();
  }
}
