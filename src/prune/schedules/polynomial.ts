import { checkInt, checkSparsityValue, fail, inPruningTurn, type PruningSchedule, type ScheduleJSON } from './types.js';

export interface PolynomialDecayOptions {
  initialSparsity: number;
  finalSparsity: number;
  beginStep: number;
  endStep: number;
  power?: number;
  frequency?: number;
}

/**
 * TFMOT PolynomialDecay: s(t) = s_f + (s_i − s_f)·(1 − p)^power with p = clamp((t − begin)/(end − begin), 0, 1);
 * masks update every `frequency` steps in [begin, end]. Sparsity rises fast early, while the network can recover.
 */
export class PolynomialDecay implements PruningSchedule {
  readonly kind = 'polynomial';
  readonly initialSparsity: number;
  readonly finalSparsity: number;
  readonly beginStep: number;
  readonly endStep: number;
  readonly power: number;
  readonly frequency: number;

  constructor(o: PolynomialDecayOptions) {
    this.initialSparsity = checkSparsityValue(this.kind, 'initialSparsity', o.initialSparsity);
    this.finalSparsity = checkSparsityValue(this.kind, 'finalSparsity', o.finalSparsity);
    this.beginStep = checkInt(this.kind, 'beginStep', o.beginStep, 0);
    // Decay needs an end: TFMOT rejects −1 here too.
    this.endStep = checkInt(this.kind, 'endStep', o.endStep, 0);
    this.power = o.power ?? 3;
    this.frequency = checkInt(this.kind, 'frequency', o.frequency ?? 100, 1);
    if (this.endStep <= this.beginStep) fail(this.kind, `endStep ${this.endStep} must be after beginStep ${this.beginStep}`);
    if (!(Number.isFinite(this.power) && this.power > 0)) fail(this.kind, `power must be > 0, got ${this.power}`);
  }

  shouldPrune(step: number): boolean {
    return inPruningTurn(step, this.beginStep, this.endStep, this.frequency);
  }

  sparsityAt(step: number): number {
    const p = Math.min(1, Math.max(0, (step - this.beginStep) / (this.endStep - this.beginStep)));
    return this.finalSparsity + (this.initialSparsity - this.finalSparsity) * Math.pow(1 - p, this.power);
  }

  toJSON(): ScheduleJSON {
    return {
      kind: this.kind, initialSparsity: this.initialSparsity, finalSparsity: this.finalSparsity,
      beginStep: this.beginStep, endStep: this.endStep, power: this.power, frequency: this.frequency,
    };
  }
}
