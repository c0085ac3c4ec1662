import { checkInt, checkSparsityValue, fail, type PruningSchedule, type ScheduleJSON } from './types.js';

export interface IterativeOptions {
  /** Sparsity after each round, non-decreasing, e.g. [0.5, 0.75, 0.9]. */
  sparsities: number[];
  /** Training steps (fine-tuning) between two prunings. */
  stepsPerRound: number;
  beginStep?: number;
}

/**
 * Iterative prune → fine-tune (Han et al.): prune to the next sparsity at the start of each round, then train
 * `stepsPerRound` steps with the masks held.
 */
export class IterativeSchedule implements PruningSchedule {
  readonly kind = 'iterative';
  readonly sparsities: number[];
  readonly stepsPerRound: number;
  readonly beginStep: number;

  constructor(o: IterativeOptions) {
    if (!Array.isArray(o.sparsities) || o.sparsities.length === 0) fail(this.kind, 'sparsities must be a non-empty list');
    this.sparsities = o.sparsities.map((s, i) => checkSparsityValue(this.kind, `sparsities[${i}]`, s));
    this.sparsities.forEach((s, i) => {
      if (i > 0 && s < this.sparsities[i - 1]) fail(this.kind, `sparsities must not decrease (${this.sparsities[i - 1]} then ${s})`);
    });
    this.stepsPerRound = checkInt(this.kind, 'stepsPerRound', o.stepsPerRound, 1);
    this.beginStep = checkInt(this.kind, 'beginStep', o.beginStep ?? 0, 0);
  }

  private round(step: number): number {
    return Math.floor((step - this.beginStep) / this.stepsPerRound);
  }

  shouldPrune(step: number): boolean {
    if (step < this.beginStep) return false;
    const r = this.round(step);
    return r < this.sparsities.length && (step - this.beginStep) % this.stepsPerRound === 0;
  }

  sparsityAt(step: number): number {
    if (step < this.beginStep) return 0;
    return this.sparsities[Math.min(this.round(step), this.sparsities.length - 1)];
  }

  /** Steps needed to reach the last sparsity and fine-tune one round after it. */
  get totalSteps(): number {
    return this.beginStep + this.stepsPerRound * this.sparsities.length;
  }

  toJSON(): ScheduleJSON {
    return { kind: this.kind, sparsities: [...this.sparsities], stepsPerRound: this.stepsPerRound, beginStep: this.beginStep };
  }
}
