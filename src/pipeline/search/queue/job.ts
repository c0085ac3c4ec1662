import { ShrinkmlError } from '../../../core/errors.js';
import { VERSION } from '../../../core/version.js';
import type { SearchJobContext, TrialSpec } from '../executor.js';

/**
 * The one BullMQ queue every search and worker meets on. One well-known name, not one per search, so a worker
 * started once (`shrinkml worker --queue URL`) serves every search on that Redis; a search's jobs are told apart
 * by their ids.
 */
export const QUEUE_NAME = 'shrinkml-trials';

/** A trial as a queue job: everything a worker needs, as JSON. */
export interface TrialJob {
  /** The job format; a worker refuses others rather than guessing. */
  format: 1;
  /** The searcher's shrinkml version: another version may build other weights from the same seed. */
  shrinkml: string;
  ctx: SearchJobContext;
  spec: TrialSpec;
  /**
   * The searcher's working folder: a trial process that has the same folder works in it, so relative data paths
   * (`--data ./digits`) mean the same files on a worker as on the searcher.
   */
  cwd?: string;
}

/**
 * One id per trial of a search, so BullMQ keeps one job for it: a retried job (its worker died) stays the same job,
 * and adding it again is a no-op. BullMQ reserves ':' in ids.
 */
export function trialJobId(searchId: string, trialId: number): string {
  return `${searchId.replace(/:/g, '_')}-t${trialId}`;
}

export function trialJob(ctx: SearchJobContext, spec: TrialSpec): TrialJob {
  return { format: 1, shrinkml: VERSION, ctx, spec, cwd: process.cwd() };
}

/** The job's data, checked before any work: a job from another tool or shrinkml version fails in one line. */
export function readTrialJob(id: string | undefined, data: unknown): TrialJob {
  const job = data as Partial<TrialJob> | undefined;
  if (job?.format !== 1 || typeof job.ctx?.searchId !== 'string' || typeof job.spec?.id !== 'number') {
    throw new ShrinkmlError('BAD_INPUT', `job ${id}: not a shrinkml trial (format ${JSON.stringify(job?.format)})`, { subject: QUEUE_NAME });
  }
  if (job.shrinkml !== VERSION) {
    throw new ShrinkmlError('UNSUPPORTED', `job ${id}: the search runs shrinkml ${job.shrinkml}, this worker ${VERSION}; the same seed may build other weights`, {
      subject: QUEUE_NAME, suggestion: `run workers with shrinkml ${job.shrinkml}`,
    });
  }
  return job as TrialJob;
}
