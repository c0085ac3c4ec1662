import * as tf from '@tensorflow/tfjs';
import { Queue } from 'bullmq';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueUrl, QUEUE_NAME, trialJobId } from '../../src/pipeline/search/queue/index.js';
import { runCli } from '../cli/run.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { saveTinyMnistModel } from '../pipeline/helpers.js';
import { main } from '../../src/cli/main.js';
import { BIN, ROOT } from '../reliability/harness.js';
import { REDIS_SERVER, startRedis, type RedisServer } from './redis.js';

/**
 * `compress --queue` against a real redis-server with `shrinkml worker` processes: the same trials, the same chosen
 * weights as a local run, a worker killed mid-trial costs nothing, Ctrl-C removes queued trials, --resume works.
 * Tiny model and data, so the whole file stays well under a minute of CI.
 */
const FAST = ['--data', 'mnist', '--limit', '300', '--train-limit', '256', '--validation-limit', '300', '--backend', 'cpu', '--no-latency'];
const SEARCH = [...FAST, '--prune', 'magnitude:0.97:global', '--budget', 'drop<=0.5%', '--max-trials', '2'];
// Short, so the killed worker's trial moves on within seconds; the worker process only talks to Redis (trials run
// in its child), so even a loaded CI box renews a 3 s lock in time.
const LOCK = ['--lock-timeout', '3'];
// Whole searches with worker processes: seconds on an idle box, but several times that beside the full suite.
const SLOW = 300_000;

interface Report {
  trials: { id: number; seconds: number; steps: { seconds: number }[]; weightsHash?: string }[];
  output: { weightsHash: string };
  search: { stopReason: string };
}
const report = (out: string): Report => JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
/** A trial as the search judged it: everything but wall times. */
const judged = (r: Report) => r.trials.map(({ seconds: _s, steps, ...t }) => ({ ...t, steps: steps.map(({ seconds: _x, ...s }) => s) }));

interface Worker { child: ChildProcess; log: () => string; exited: Promise<number | null> }

function startWorker(url: string, name: string): Worker {
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, ...LOCK, '--name', name], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => { log += d; });
  return { child, log: () => log, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function until(what: string, test: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The CLI in-process, given Ctrl-C (its SIGINT handler, as a terminal would trigger it) when stderr first matches
 * `at`: no second process to start, so the interrupt lands within milliseconds of the line.
 */
async function interruptedAt(at: RegExp, args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  let sent = false;
  const code = await main(['node', 'shrinkml', ...args], {
    stdout: () => {},
    stderr: (t) => {
      stderr += t;
      if (!sent && at.test(stderr)) { sent = true; process.emit('SIGINT'); }
    },
  });
  return { code, stderr };
}

async function jobsOf(url: string): Promise<{ counts: Record<string, number>; completed: { id: string; attemptsStarted: number }[] }> {
  const u = new URL(url);
  const queue = new Queue(QUEUE_NAME, { connection: { host: u.hostname, port: Number(u.port), db: Number(u.pathname.slice(1) || 0) } });
  try {
    const completed = await queue.getJobs(['completed']);
    return { counts: await queue.getJobCounts(), completed: completed.map((j) => ({ id: j.id!, attemptsStarted: j.attemptsStarted })) };
  } finally {
    await queue.close();
  }
}

describe.skipIf(!REDIS_SERVER)('compress --queue with shrinkml worker processes (redis-server)', () => {
  let dir: string;
  let model: string;
  let redis: RedisServer;
  let local: Report;
  let localCode: number;
  const workers: Worker[] = [];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await makeTmpDir('shrinkml-queue-');
    [model, redis] = await Promise.all([saveTinyMnistModel(dir), startRedis(dir)]);
    const r = await runCli('compress', model, '--out', path.join(dir, 'local'), ...SEARCH);
    localCode = r.code;
    expect([0, 1], r.stderr).toContain(r.code);
    local = report(path.join(dir, 'local'));
    expect(local.trials.length).toBeGreaterThanOrEqual(2);
  }, SLOW);
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await redis?.stop();
    await removeTmpDir(dir);
  });

  it('runs the same trials and writes the same model as a local run; a worker killed mid-trial loses and doubles nothing', async () => {
    const url = redis.url(0);
    const [a, b] = [startWorker(url, 'wa'), startWorker(url, 'wb')];
    workers.push(a, b);
    await until('both workers', () => [a, b].every((w) => /waiting for trials/.test(w.log())));
    // The first worker to start a trial is killed in it; the other must take the trial over.
    let killed: Worker | undefined;
    const killer = until('a trial to start', () => !!(killed = [a, b].find((w) => /trial \d+: started/.test(w.log())))).then(() => killed!.child.kill('SIGKILL'));
    const out = path.join(dir, 'queued');
    const r = await runCli('compress', model, '--out', out, ...SEARCH, '--queue', url);
    await killer;
    expect(r.code, r.stderr).toBe(localCode);
    expect(r.stderr).toMatch(/its worker stopped answering .* goes back on the queue/);
    const survivor = killed === a ? b : a;
    expect(survivor.log()).toMatch(/started \(again: its first worker stopped\)/);

    const queued = report(out);
    expect(judged(queued)).toEqual(judged(local));
    expect(queued.trials.map((t) => t.weightsHash)).toEqual(local.trials.map((t) => t.weightsHash));
    expect(queued.search.stopReason).toBe(local.search.stopReason);
    // The chosen trial is rebuilt in the searcher from its config and seed: the same weights as the local run's.
    expect(queued.output.weightsHash).toBe(local.output.weightsHash);
    expect(queued.output.weightsHash).toMatch(/^sha256:/);

    // One job per trial, all completed, nothing left queued; the killed trial ran twice and counts once.
    const { counts, completed } = await jobsOf(url);
    expect(completed).toHaveLength(local.trials.length);
    expect(counts).toMatchObject({ waiting: 0, active: 0, failed: 0, delayed: 0 });
    expect(completed.filter((j) => j.attemptsStarted > 1).length).toBeGreaterThanOrEqual(1);
  }, SLOW);

  it('Ctrl-C on the searcher removes its queued trials', async () => {
    const url = redis.url(1); // no worker listens here: the trial stays queued
    const out = path.join(dir, 'interrupted');
    const r = await interruptedAt(/queued trials? /, ['compress', model, '--out', out, ...SEARCH, '--queue', url]);
    expect(r.code, r.stderr).toBe(130);
    const queued = /queued trials? ([\d, ]+) on/.exec(r.stderr)![1]!.split(', ').length;
    expect(r.stderr).toContain(`removed ${queued} queued trial${queued === 1 ? '' : 's'} from`);
    expect(existsSync(out)).toBe(false);
    expect((await jobsOf(url)).counts).toMatchObject({ waiting: 0, active: 0, completed: 0 });
  }, SLOW);

  it('--resume continues an interrupted queued search: recorded trials replayed, a trial finished on its worker taken from the queue', async () => {
    const url = redis.url(2);
    const w = startWorker(url, 'wc');
    workers.push(w);
    await until('the worker', () => /waiting for trials/.test(w.log()));
    const out = path.join(dir, 'resumed');
    // Stopped once a batch is recorded and the next is on the queue (the worker may be running it already).
    const first = await interruptedAt(/trial \d+: gzip[^]*queued trials? /, ['compress', model, '--out', out, ...SEARCH, '--queue', url]);
    expect(first.code, first.stderr).toBe(130);
    const r = await runCli('compress', model, '--out', out, ...SEARCH, '--queue', url, '--resume');
    expect(r.code, r.stderr).toBe(localCode);
    expect(r.stderr).toMatch(/resuming: \d+ trials? recorded/);
    expect(r.stderr).toMatch(/trial 0 \(recorded\)/);
    expect(judged(report(out))).toEqual(judged(local));
    expect(report(out).output.weightsHash).toBe(local.output.weightsHash);
    // Every trial ran once on the queue: the recorded ones before the interruption, the others once each.
    expect((await jobsOf(url)).completed).toHaveLength(local.trials.length);
  }, SLOW);

  it('a worker stops on Ctrl-C after its running trial', async () => {
    const w = workers.at(-1)!;
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
    expect(w.log()).toMatch(/worker stopped after \d+ trials?\n/);
  });
});

describe('--queue that cannot be used: one line, before any work', () => {
  it.each([
    ['compress', 'redis://127.0.0.1:1', 3, /--queue redis:\/\/127\.0\.0\.1:1: cannot reach the Redis server \(connect ECONNREFUSED/],
    ['worker', 'redis://127.0.0.1:1', 3, /cannot reach the Redis server/],
    ['compress', 'http://127.0.0.1:6379', 2, /--queue http:\/\/127\.0\.0\.1:6379: not a Redis URL/],
    ['worker', 'redis://127.0.0.1:6379/x', 2, /'x' is not a database number/],
  ])('%s --queue %s → exit %i', async (command, url, code, error) => {
    const started = Date.now();
    const args = command === 'compress' ? ['compress', 'mnist-lenet-300-100', '--out', '/tmp/shrinkml-queue-never', ...SEARCH, '--queue', url] : ['worker', '--queue', url];
    const r = await runCli(...args);
    expect(r.code, r.stderr).toBe(code);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(error);
    expect(Date.now() - started).toBeLessThan(6000);
    expect(existsSync('/tmp/shrinkml-queue-never')).toBe(false);
  });

  it('compress --queue without --budget is refused (there is no search to distribute)', async () => {
    const r = await runCli('compress', 'mnist-lenet-300-100', '--out', '/tmp/shrinkml-queue-never', '--prune', 'magnitude:0.5', '--queue', 'redis://127.0.0.1:1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--queue runs the trials of a budget search; give --budget too/);
  });

  it('worker --help teaches: what it does, where the model must be, how a dead worker is handled, an example', async () => {
    const r = await runCli('worker', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--queue <url>/);
    expect(r.stdout).toMatch(/same paths/);
    expect(r.stdout).toMatch(/--lock-timeout/);
    expect(r.stdout).toMatch(/\$ shrinkml worker --queue redis:\/\//);
  });
});

describe('queue URLs and job ids', () => {
  it.each([
    ['redis://127.0.0.1:6379', { host: '127.0.0.1', port: 6379, db: 0 }, 'redis://127.0.0.1:6379'],
    ['redis://queue.lan', { host: 'queue.lan', port: 6379, db: 0 }, 'redis://queue.lan'],
    ['redis://:s3cret@10.0.0.5:6380/2', { host: '10.0.0.5', port: 6380, db: 2, password: 's3cret' }, 'redis://10.0.0.5:6380/2'],
    ['rediss://worker:p%40ss@[::1]:6390', { host: '::1', port: 6390, db: 0, username: 'worker', password: 'p@ss', tls: {} }, 'rediss://[::1]:6390'],
  ])('%s → connection options; shown without the password', (url, options, shown) => {
    expect(parseQueueUrl(url)).toEqual({ url, shown, options });
  });

  it('a trial is one job id per search (BullMQ reserves ":" in ids)', () => {
    expect(trialJobId('3f2a9c', 4)).toBe('3f2a9c-t4');
    expect(trialJobId('a:b', 0)).toBe('a_b-t0');
  });
});
