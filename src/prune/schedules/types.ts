import { ShrinkmlError } from '../../core/errors.js';

/**
 * When masks are recomputed during training and to what sparsity. Steps count optimizer steps (batches) from 0.
 * Schedules validate on construction and serialise with toJSON(); ./index.ts turns JSON back into one.
 */
export interface PruningSchedule {
  readonly kind: string;
  /** True when masks are recomputed at this step. */
  shouldPrune(step: number): boolean;
  /** Target sparsity at this step. */
  sparsityAt(step: number): number;
  toJSON(): ScheduleJSON;
}

export interface ScheduleJSON {
  kind: string;
  [key: string]: unknown;
}

export function fail(kind: string, message: string): never {
  throw new ShrinkmlError('BAD_INPUT', `${kind} schedule: ${message}`, { subject: 'schedule' });
}

export function checkSparsityValue(kind: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(kind, `${name} must be in [0, 1), got ${String(v)}`);
  return v;
}

export function checkInt(kind: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(kind, `${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

/**
 * TFMOT's `_should_prune_in_step`: inside [begin, end] (end −1 = forever) and on a multiple of `frequency`
 * counted from `begin`.
 */
export function inPruningTurn(step: number, begin: number, end: number, frequency: number): boolean {
  const inRange = step >= begin && (end < 0 || step <= end);
  return inRange && (((step - begin) % frequency) + frequency) % frequency === 0;
}
