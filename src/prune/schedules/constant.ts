import { checkInt, checkSparsityValue, fail, inPruningTurn, type PruningSchedule, type ScheduleJSON } from './types.js';

export interface ConstantSparsityOptions {
  targetSparsity: number;
  beginStep?: number;
  /** Last step that prunes; −1 prunes for ever (TFMOT's default). */
  endStep?: number;
  frequency?: number;
}

/** TFMOT ConstantSparsity: the same target every `frequency` steps between begin and end. */
export class ConstantSparsity implements PruningSchedule {
  readonly kind = 'constant';
  readonly targetSparsity: number;
  readonly beginStep: number;
  readonly endStep: number;
  readonly frequency: number;

  constructor(o: ConstantSparsityOptions) {
    this.targetSparsity = checkSparsityValue(this.kind, 'targetSparsity', o.targetSparsity);
    this.beginStep = checkInt(this.kind, 'beginStep', o.beginStep ?? 0, 0);
    this.endStep = checkInt(this.kind, 'endStep', o.endStep ?? -1, -1);
    this.frequency = checkInt(this.kind, 'frequency', o.frequency ?? 100, 1);
    if (this.endStep !== -1 && this.endStep < this.beginStep) fail(this.kind, `endStep ${this.endStep} is before beginStep ${this.beginStep}`);
  }

  shouldPrune(step: number): boolean {
    return inPruningTurn(step, this.beginStep, this.endStep, this.frequency);
  }

  sparsityAt(_step?: number): number {
    return this.targetSparsity;
  }

  toJSON(): ScheduleJSON {
    return { kind: this.kind, targetSparsity: this.targetSparsity, beginStep: this.beginStep, endStep: this.endStep, frequency: this.frequency };
  }
}
