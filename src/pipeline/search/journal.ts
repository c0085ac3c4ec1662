import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import { tempFolders } from '../../formats/cleanup.js';
import { validateSchema, type ObjectSchema } from '../schema.js';
import type { SensitivityRow } from './sensitivity.js';
import type { TrialRecord } from './types.js';

/**
 * The search's memory across runs: every finished trial and sensitivity probe, rewritten atomically after each
 * one, beside the output as `<out>.trials.json`. `--resume` replays it (the search is deterministic, so the same
 * trials come back in the same order and only unfinished work runs again); a finished search removes it.
 */
export interface JournalData {
  version: 1;
  /**
   * What the trials are only valid for: same input, pipeline, budget and data; with a drop limit, the same
   * accuracy margin (their verdicts depend on it; absent in journals written before it existed, so those are refused).
   */
  key: { sourceHash: string; config: unknown; budget: string; data: string; backend: string; accuracyMargin?: number };
  trials: TrialRecord[];
  sensitivity: SensitivityRow[];
}

const any = { type: 'object', properties: {}, additional: true } as const;
const num = { type: 'number' } as const;

/**
 * What `--resume` needs of a journal, checked before any of it is used: a journal that parses but has another
 * shape (hand-edited, truncated by a full disk, another version) is refused in one line instead of failing deep
 * inside the search. Objects allow extra fields: newer records may carry more.
 */
const JOURNAL_SCHEMA: ObjectSchema = {
  type: 'object', required: ['version', 'key', 'trials', 'sensitivity'], additional: true,
  properties: {
    version: { type: 'number', min: 1, max: 1 },
    key: any,
    trials: {
      type: 'array',
      items: {
        type: 'object', additional: true,
        required: ['id', 'config', 'levels', 'reason', 'metrics', 'budget', 'pass', 'shortfall', 'split', 'seconds', 'steps'],
        properties: {
          id: { type: 'number', integer: true, min: 0 }, config: any, levels: any, reason: { type: 'string' },
          metrics: { type: 'object', required: ['params', 'bytes', 'gzipBytes'], properties: {}, additional: true },
          budget: { type: 'object', required: ['pass', 'criteria'], additional: true, properties: { pass: { type: 'boolean' }, criteria: { type: 'array', items: any } } },
          pass: { type: 'boolean' }, shortfall: num, split: { type: 'string' }, seconds: num, steps: { type: 'array', items: any },
        },
      },
    },
    sensitivity: {
      type: 'array',
      items: {
        type: 'object', required: ['layer', 'level', 'meanKl', 'samples'], additional: true,
        properties: { layer: { type: 'string' }, level: num, meanKl: num, agreement: num, samples: num },
      },
    },
  },
};

const KEY_NAMES: Partial<Record<keyof JournalData['key'], string>> = { sourceHash: 'input model', accuracyMargin: 'accuracy margin' };

export function journalPath(out: string): string {
  return `${path.resolve(out).replace(/[\\/]+$/, '')}.trials.json`;
}

/** What --resume would refuse in `file`, checked up front (before a backend is probed); nothing when it is absent. */
export function checkJournal(file: string): void {
  if (existsSync(file)) readJournal(file);
}

function readJournal(file: string): JournalData {
  const refuse = (reason: string, cause?: unknown) => new ShrinkmlError('BAD_INPUT', `${file}: cannot resume from it (${reason})`, {
    subject: '--resume', suggestion: 'delete the file to start the search afresh, or run without --resume', cause,
  });
  let data: JournalData;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as JournalData;
  } catch (e) {
    throw refuse((e as Error).message.split('\n')[0]!, e);
  }
  const issue = validateSchema(data, JOURNAL_SCHEMA)[0];
  if (issue) throw refuse(`not a search journal: ${issue.path} ${issue.message}`);
  return data;
}

export class Journal {
  constructor(readonly file: string, readonly data: JournalData) {}

  /** Starts empty, or (resume) from the file, refusing one recorded for a different run. */
  static open(options: { file: string; key: JournalData['key']; resume: boolean }): { journal: Journal; resumed: number } {
    const fresh = new Journal(options.file, { version: 1, key: options.key, trials: [], sensitivity: [] });
    if (!options.resume || !existsSync(options.file)) return { journal: fresh, resumed: 0 };
    const data = readJournal(options.file);
    for (const k of Object.keys(options.key) as (keyof JournalData['key'])[]) {
      if (JSON.stringify(data.key?.[k]) !== JSON.stringify(options.key[k])) {
        throw new ShrinkmlError('BAD_INPUT', `${options.file}: the recorded trials are for a different ${KEY_NAMES[k] ?? k}; cannot resume`, {
          subject: '--resume', suggestion: 'run with the same model, pipeline, budget, data, backend and accuracy margin, or delete the file, or run without --resume',
        });
      }
    }
    return { journal: new Journal(options.file, { ...data, key: options.key }), resumed: data.trials.length };
  }

  async save(): Promise<void> {
    const tmp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const untrack = tempFolders.track(tmp);
    try {
      await fsp.writeFile(tmp, JSON.stringify(this.data, null, 2) + '\n');
      await fsp.rename(tmp, this.file);
    } finally {
      await fsp.rm(tmp, { force: true }).catch(() => {});
      untrack();
    }
  }

  async remove(): Promise<void> {
    await fsp.rm(this.file, { force: true });
  }
}
