export { openQueueExecutor } from './executor.js';
export type { QueueExecutorOptions } from './executor.js';
export { runQueueWorker, trialProcessor, DEFAULT_LOCK_SECONDS } from './worker.js';
export type { QueueWorkerOptions, TrialJobView, TrialProcessorHooks } from './worker.js';
export { checkQueue, parseQueueUrl, probeQueue, loadBullmq } from './connection.js';
export type { QueueConnection } from './connection.js';
export { QUEUE_NAME, trialJobId } from './job.js';
export type { TrialJob } from './job.js';
