import { ShrinkmlError } from '../../core/errors.js';
import { ConstantSparsity, type ConstantSparsityOptions } from './constant.js';
import { IterativeSchedule, type IterativeOptions } from './iterative.js';
import { PolynomialDecay, type PolynomialDecayOptions } from './polynomial.js';
import type { PruningSchedule, ScheduleJSON } from './types.js';

interface ScheduleKind {
  kind: string;
  fromJSON(json: ScheduleJSON): PruningSchedule;
}

/** Schedule kinds by their JSON `kind`. */
export const SCHEDULES: ScheduleKind[] = [
  { kind: 'constant', fromJSON: (j) => new ConstantSparsity(j as unknown as ConstantSparsityOptions) },
  { kind: 'polynomial', fromJSON: (j) => new PolynomialDecay(j as unknown as PolynomialDecayOptions) },
  { kind: 'iterative', fromJSON: (j) => new IterativeSchedule(j as unknown as IterativeOptions) },
];

/** Rebuild (and re-validate) a schedule from its toJSON() form. */
export function scheduleFromJSON(json: unknown): PruningSchedule {
  const kind = (json as ScheduleJSON | null)?.kind;
  const found = SCHEDULES.find((s) => s.kind === kind);
  if (!found) {
    throw new ShrinkmlError('BAD_INPUT', `unknown pruning schedule kind '${String(kind)}'`, {
      subject: 'schedule', suggestion: `use one of ${SCHEDULES.map((s) => s.kind).join(', ')}`,
    });
  }
  return found.fromJSON(json as ScheduleJSON);
}

export { ConstantSparsity, IterativeSchedule, PolynomialDecay };
export type { ConstantSparsityOptions, IterativeOptions, PolynomialDecayOptions, PruningSchedule, ScheduleJSON };
