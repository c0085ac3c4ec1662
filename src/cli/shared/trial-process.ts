import * as tf from '@tensorflow/tfjs';
// Registers the int8 layer classes: trials read their written candidates back, int8 ones included.
import '../../runtime/index.js';
import { BACKEND_REQUESTS } from '../../backends/index.js';
import { ShrinkmlError } from '../../core/errors.js';
import { trialProcessor } from '../../pipeline/search/queue/index.js';
import type { CliIo } from '../command.js';
import { useBackend } from './backend.js';
import { stderrProgress } from './progress.js';

/**
 * The child process `shrinkml worker` runs trials in (a BullMQ sandboxed processor; the worker process itself only
 * talks to Redis, so it keeps renewing the trial's lock while a step holds this process' CPU). Its stderr goes to
 * the worker's.
 */
const io: CliIo = { stdout: (t) => process.stderr.write(t), stderr: (t) => process.stderr.write(t), setExitCode: () => {} };
if (!process.env.SHRINKML_DEBUG) tf.env().set('PROD', true);
// The worker died (killed, crashed): nobody will take this trial's result, and another worker redoes it.
process.on('disconnect', () => process.exit(1));

export default trialProcessor({
  onLog: (line) => io.stderr(`${line}\n`),
  onWarn: (m) => io.stderr(`warning: ${m}\n`),
  onProgress: stderrProgress(io, false),
  // The search's own backend: another one may round differently and build other weights from the same seed.
  prepare: async (ctx) => {
    if (ctx.backend === 'onnxruntime-node') return;
    if (!(BACKEND_REQUESTS as string[]).includes(ctx.backend)) {
      throw new ShrinkmlError('BACKEND', `the search runs on the tfjs backend '${ctx.backend}', which a shrinkml worker cannot select`, { subject: ctx.backend });
    }
    await useBackend(ctx.backend, io);
  },
});
