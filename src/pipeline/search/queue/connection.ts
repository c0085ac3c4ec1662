import type * as BullMQ from 'bullmq';
import { ShrinkmlError } from '../../../core/errors.js';
import { importOptional } from '../../../core/optional.js';

import { QUEUE_NAME } from './job.js';

/** A `--queue` URL, checked: what to show people (no password) and the Redis options BullMQ connects with. */
export interface QueueConnection {
  url: string;
  /** The URL without credentials, for log lines and errors. */
  shown: string;
  /** ioredis options (BullMQ opens its own connections from them: a worker needs a second, blocking one). */
  options: { host: string; port: number; db: number; username?: string; password?: string; tls?: object };
}

/** `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS), refused in one line otherwise. */
export function parseQueueUrl(url: string): QueueConnection {
  const bad = (why: string) => new ShrinkmlError('BAD_INPUT', `--queue ${url}: ${why}`, {
    subject: '--queue', suggestion: 'give the Redis server as redis://host:port, e.g. redis://127.0.0.1:6379',
  });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`not a Redis URL (${u.protocol}// is not redis:// or rediss://)`);
  if (!u.hostname) throw bad('no host');
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\/+/, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw bad(`'${dbText}' is not a database number`);
  const shown = `${u.protocol}//${u.host}${dbText ? `/${db}` : ''}`;
  return {
    url, shown,
    options: {
      host: u.hostname.replace(/^\[|\]$/g, ''), port, db,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

export type Bull = typeof BullMQ;

/** BullMQ, an optional peer: loaded on first use, one line naming the package when it is not installed. */
export function loadBullmq(): Promise<Bull> {
  return importOptional('bullmq', 'running budget-search trials on a queue (--queue, shrinkml worker)', () => import('bullmq'));
}

const PROBE_TIMEOUT_MS = 5000;

/**
 * Connects once, without retrying, so a wrong or unreachable URL is one line within seconds; the long-lived
 * connections opened afterwards reconnect with BullMQ's backoff (a Redis restart mid-search is survived).
 */
export async function probeQueue(bull: Bull, conn: QueueConnection): Promise<void> {
  const queue = new bull.Queue(QUEUE_NAME, {
    connection: { ...conn.options, retryStrategy: () => null, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, enableOfflineQueue: false },
  });
  let firstError: Error | undefined;
  // An unhandled 'error' event would crash the process; the first one is the reason worth showing.
  queue.on('error', (e) => { firstError ??= e; });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.waitUntilReady().then(() => queue.getJobCounts('waiting')),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS); }),
    ]);
  } catch (e) {
    const why = (firstError ?? (e as Error)).message.split('\n')[0];
    throw new ShrinkmlError('UNREACHABLE', `--queue ${conn.shown}: cannot reach the Redis server (${why})`, {
      subject: '--queue', suggestion: 'start redis-server there, or check the host, port and password', cause: e,
    });
  } finally {
    clearTimeout(timer);
    await queue.close().catch(() => {});
  }
}


/** Everything about `--queue` that can fail before any work: the URL, the bullmq package, the server answering. */
export async function checkQueue(url: string): Promise<QueueConnection> {
  const conn = parseQueueUrl(url);
  await probeQueue(await loadBullmq(), conn);
  return conn;
}

/** How long a searcher waits for a Redis server that went away to come back before it stops (exit 3, journal kept). */
export const SEARCHER_PATIENCE_SECONDS = 60;

/**
 * Connection options for the searching side: it reconnects (a Redis restart is survived) for about a minute, then
 * gives up so the search stops with one line instead of hanging; workers keep BullMQ's endless retry, being daemons.
 */
export function searcherConnection(conn: QueueConnection): QueueConnection['options'] & { retryStrategy: (times: number) => number | null } {
  let waited = 0;
  return {
    ...conn.options,
    retryStrategy: (times) => {
      const delay = Math.min(1000 * times, 5000);
      waited = times === 1 ? delay : waited + delay;
      return waited > SEARCHER_PATIENCE_SECONDS * 1000 ? null : delay;
    },
  };
}
