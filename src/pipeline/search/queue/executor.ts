import type * as BullMQ from 'bullmq';
import { isShrinkmlError, ShrinkmlError, type ErrorCode } from '../../../core/errors.js';
import type { SearchJobContext, TrialExecutor, TrialSpec } from '../executor.js';
import type { TrialRecord } from '../types.js';
import { loadBullmq, parseQueueUrl, probeQueue, searcherConnection, SEARCHER_PATIENCE_SECONDS } from './connection.js';
import { QUEUE_NAME, trialJob, trialJobId, type TrialJob } from './job.js';

export interface QueueExecutorOptions {
  /** `redis://host:port` of the Redis server the workers listen on. */
  url: string;
  ctx: SearchJobContext;
  /**
   * Continuing a search (--resume): results of this search's trials that are still in Redis (a trial that was
   * running when the searcher stopped finishes on its worker) are taken as they are. A fresh search runs every
   * trial anew.
   */
  resume?: boolean;
  /** Lines for a person: queued, started, handed to another worker, still waiting. */
  onLog?: (line: string) => void;
}

/** Finished jobs (and their results) stay this long in Redis, so a --resume after Ctrl-C still finds them. */
const KEEP_SECONDS = 24 * 3600;
/** How often outstanding jobs are looked at even without an event (an event lost in a reconnect must not hang the search). */
const POLL_MS = 2000;
/** How often a search with no result yet says it is still waiting, and whether any worker is there. */
const WAITING_NOTE_MS = 30_000;

/**
 * A TrialExecutor on a BullMQ queue: each trial of a batch is one job, run by `shrinkml worker` processes anywhere
 * the model and data are reachable by path. The batch returns once every trial has a result, in spec order, so
 * the searcher decides the next batch from whole batches only and a queued search makes the same decisions as a
 * local one. A worker killed mid-trial stops renewing its job's lock; BullMQ's stalled-job check puts the job back
 * and another worker runs it. A job is one trial id, so a retried trial is still one job and one result (a late
 * duplicate result is dropped by trial id). Abort (Ctrl-C) removes this batch's jobs that no worker has started.
 */
export async function openQueueExecutor(o: QueueExecutorOptions): Promise<TrialExecutor> {
  const conn = parseQueueUrl(o.url);
  const bull = await loadBullmq();
  await probeQueue(bull, conn);
  const queue = new bull.Queue<TrialJob, TrialRecord>(QUEUE_NAME, { connection: searcherConnection(conn) });
  const events = new bull.QueueEvents(QUEUE_NAME, { connection: searcherConnection(conn) });
  // Connection trouble after the probe: BullMQ reconnects with backoff; say so once per distinct message.
  let lastError = '';
  const onError = (e: Error) => {
    if (e.message !== lastError) o.onLog?.(`queue ${conn.shown}: ${e.message.split('\n')[0]} (reconnecting)`);
    lastError = e.message;
  };
  queue.on('error', onError);
  events.on('error', onError);
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  } catch (e) {
    await Promise.all([queue.close(), events.close()]).catch(() => {});
    throw e;
  }
  o.onLog?.(`queue: trials go to ${conn.shown} (${QUEUE_NAME}); run \`shrinkml worker --queue ${conn.shown}\` where the model and data are reachable`);
  const jobOf = (id: number) => trialJobId(o.ctx.searchId, id);

  async function runBatch(specs: TrialSpec[], signal?: AbortSignal): Promise<TrialRecord[]> {
    const bySpec = new Map(specs.map((s) => [jobOf(s.id), s]));
    const results = new Map<number, TrialRecord>();
    // An event between a look at the jobs and the next sleep must not wait for the poll: `news` keeps it.
    let news = false;
    let wake = () => {};
    const ours = ({ jobId }: { jobId: string }) => bySpec.get(jobId);
    const onDone = (e: { jobId: string }) => { if (ours(e)) { news = true; wake(); } };
    const onActive = (e: { jobId: string }) => { const s = ours(e); if (s) o.onLog?.(`trial ${s.id}: running on a worker`); };
    const onStalled = (e: { jobId: string }) => {
      const s = ours(e);
      if (s) o.onLog?.(`trial ${s.id}: its worker stopped answering (killed or cut off); the trial goes back on the queue for another worker`);
    };
    events.on('completed', onDone);
    events.on('failed', onDone);
    events.on('active', onActive);
    events.on('stalled', onStalled);
    const onAbort = () => wake();
    signal?.addEventListener('abort', onAbort);
    try {
      await enqueue(specs, !o.resume);
      let lastNote = Date.now();
      while (results.size < specs.length) {
        if (signal?.aborted) throw new ShrinkmlError('INTERRUPTED', 'budget search interrupted');
        news = false;
        for (const [id, spec] of bySpec) {
          if (results.has(spec.id)) continue;
          const record = await outcome(id, spec);
          // A retried trial is one job and so one result; a duplicate arriving late would be the same trial again.
          if (record && !results.has(spec.id)) results.set(spec.id, record);
        }
        if (results.size === specs.length) break;
        if (Date.now() - lastNote >= WAITING_NOTE_MS) {
          lastNote = Date.now();
          const workers = await queue.getWorkersCount().catch(() => -1);
          o.onLog?.(`waiting for ${specs.length - results.size} of ${specs.length} trial${specs.length === 1 ? '' : 's'} on ${conn.shown}` +
            (workers === 0 ? `: no worker is connected (start one: shrinkml worker --queue ${conn.shown})` : workers > 0 ? ` (${workers} worker${workers === 1 ? '' : 's'} connected)` : ''));
        }
        if (!news && !signal?.aborted) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, POLL_MS);
            wake = () => { clearTimeout(timer); resolve(); };
          });
        }
      }
      return specs.map((s) => results.get(s.id)!);
    } catch (e) {
      // Redis gone for longer than the searcher waits (searcherConnection): one line; the journal keeps what finished.
      if (isShrinkmlError(e)) throw e;
      const why = String((e as Error)?.message).split('\n')[0];
      if (/Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|max retries/i.test(why)) {
        throw new ShrinkmlError('UNREACHABLE', `queue ${conn.shown}: the Redis server stopped answering for ${SEARCHER_PATIENCE_SECONDS} s (${why})`, {
          subject: '--queue', suggestion: 'restart it, then rerun with --resume', cause: e,
        });
      }
      throw new ShrinkmlError('INTERNAL', `queue ${conn.shown}: ${why}`, { subject: '--queue', cause: e });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      events.off('completed', onDone);
      events.off('failed', onDone);
      events.off('active', onActive);
      events.off('stalled', onStalled);
      const left = [...bySpec].filter(([, s]) => !results.has(s.id)).map(([id]) => id);
      if (left.length) {
        const removed = await removeWaiting(left).catch(() => 0);
        if (removed) o.onLog?.(`removed ${removed} queued trial${removed === 1 ? '' : 's'} from ${conn.shown}`);
      }
    }
  }

  /** Adds the batch's jobs; an existing job of the same id is kept (resumed) or, when failed or stale, replaced. */
  async function enqueue(specs: TrialSpec[], fresh: boolean): Promise<void> {
    for (const spec of specs) {
      const existing = await queue.getJob(jobOf(spec.id));
      if (!existing) continue;
      const state = await existing.getState();
      // A failed job would stay failed (adding the same id is a no-op); a fresh search reuses no result of an earlier run.
      if (state === 'failed' || (fresh && state === 'completed')) await existing.remove().catch(() => {});
    }
    await queue.addBulk(specs.map((spec) => ({
      name: `trial ${spec.id}`, data: trialJob(o.ctx, spec),
      opts: { jobId: jobOf(spec.id), attempts: 1, removeOnComplete: { age: KEEP_SECONDS }, removeOnFail: { age: KEEP_SECONDS } },
    })));
    o.onLog?.(`queued trial${specs.length === 1 ? '' : 's'} ${specs.map((s) => s.id).join(', ')} on ${conn.shown}`);
  }

  /** The trial's record once its job completed; throws the worker's error when it failed; undefined while it runs. */
  async function outcome(id: string, spec: TrialSpec): Promise<TrialRecord | undefined> {
    const job = await queue.getJob(id);
    if (!job) {
      // Removed behind the search's back (an operator, a flush): put it back rather than lose the trial.
      await enqueue([spec], false);
      return undefined;
    }
    const state = await job.getState();
    if (state === 'completed') {
      const record = job.returnvalue as TrialRecord | undefined;
      if (!record || record.id !== spec.id) {
        throw new ShrinkmlError('INTERNAL', `queue ${conn.shown}: job ${id} returned ${record ? `trial ${record.id}` : 'nothing'} for trial ${spec.id}`);
      }
      return record;
    }
    if (state === 'failed') throw workerError(spec, job);
    return undefined;
  }

  async function removeWaiting(ids: string[]): Promise<number> {
    let removed = 0;
    for (const id of ids) {
      const job = await queue.getJob(id).catch(() => undefined);
      // A job a worker holds is locked and cannot be removed: it finishes there, and its result waits in Redis for a --resume.
      if (job && ['waiting', 'delayed', 'prioritized', 'paused'].includes(await job.getState())) {
        if (await job.remove().then(() => true, () => false)) removed++;
      }
    }
    return removed;
  }

  return {
    runBatch,
    async close() {
      await Promise.all([queue.close(), events.close()]).catch(() => {});
    },
  };
}

/** A worker's failure, rebuilt from the job's failedReason (`[CODE] message`, as the worker writes it; see worker.ts). */
function workerError(spec: TrialSpec, job: BullMQ.Job): ShrinkmlError {
  const m = /^\[([A-Z_]+)\] ([^]*)$/.exec(job.failedReason ?? '');
  const code = (m?.[1] ?? 'INTERNAL') as ErrorCode;
  const where = job.processedBy ? ` on worker ${job.processedBy}` : ' on a worker';
  return new ShrinkmlError(code, `trial ${spec.id} failed${where}: ${m?.[2] ?? job.failedReason ?? 'no reason given'}`, { subject: QUEUE_NAME });
}
