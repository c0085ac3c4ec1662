import { InvalidArgumentError, Option } from 'commander';
import { fileURLToPath } from 'node:url';
import type { CliCommand } from '../command.js';
import { handleSignals } from '../signals.js';

interface WorkerFlags {
  queue: string;
  lockTimeout?: number;
  name?: string;
}

function seconds(value: string): number {
  const s = Number(value);
  if (value.trim() === '' || !Number.isFinite(s) || s < 1 || s > 3600) throw new InvalidArgumentError(`expected seconds from 1 to 3600, got '${value}'`);
  return s;
}

const HELP = `
How it works:
  \`shrinkml compress ... --budget B --queue redis://HOST:PORT\` puts each trial of its budget search on a
  BullMQ queue in that Redis server, waits for a whole batch of results, decides the next trials, and writes
  the same report (and, from the same seed, the same model) as a local run. Workers take the trials:
  start any number of them, on any machine that reaches the Redis server and sees the input model and the
  data files at the same paths as the searching machine (built-in data sets such as mnist need nothing).
  A worker runs one trial at a time, on the tfjs backend the search runs on (same seed → same weights);
  start one per machine, or one per core group. Workers serve every search on that Redis, one after another.

  A worker that dies mid-trial (killed, machine lost) stops renewing its trial's lock; after --lock-timeout
  seconds another worker runs the trial again. The searcher counts each trial once.
  Ctrl-C stops taking trials and finishes the running one first (Ctrl-C again quits at once; that trial then
  goes to another worker). Ctrl-C on the searcher removes its queued trials.

  Needs the optional package bullmq (npm install bullmq) and a Redis server (Debian: apt install redis-server).

Examples:
  $ redis-server                                                 # port 6379, on a machine every worker can reach
  $ shrinkml worker --queue redis://10.0.0.5:6379                # on each worker machine (several per machine are fine)
  $ shrinkml compress mnist-lenet-300-100 --data mnist --budget "drop<=0.5%" --out /tmp/small --queue redis://10.0.0.5:6379`;

export const workerCommand: CliCommand = {
  name: 'worker',
  register(program, io) {
    const cmd = program.command('worker')
      .description('Run budget-search trials from a queue: the other half of `compress --queue`. Runs until Ctrl-C.')
      .addOption(new Option('--queue <url>', 'the Redis server of the queue, redis://[:password@]host:port[/db] (rediss:// for TLS)').makeOptionMandatory())
      .option('--lock-timeout <seconds>', 'how long a trial of a worker that stopped answering waits before another worker takes it (default 30)', seconds)
      .option('--name <name>', 'how the searcher names this worker in its messages (default <hostname>-<pid>)');
    cmd.addHelpText('after', HELP);
    cmd.action(async (flags: WorkerFlags) => {
      const { runQueueWorker } = await import('../../pipeline/search/queue/index.js');
      const stop = handleSignals(io, { notice: 'finishing the running trial, then stopping' });
      try {
        const { trials } = await runQueueWorker({
          url: flags.queue, lockSeconds: flags.lockTimeout, name: flags.name, signal: stop.signal,
          processorFile: fileURLToPath(new URL('../shared/trial-process.js', import.meta.url)),
          onLog: (line) => io.stderr(`${line}\n`),
        });
        io.stderr(`worker stopped after ${trials} trial${trials === 1 ? '' : 's'}\n`);
      } finally {
        stop.release();
      }
    });
  },
};
