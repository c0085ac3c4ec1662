import { describe, expect, it } from 'vitest';
import { isShrinkmlError } from '../../src/core/errors.js';
import { ConstantSparsity, IterativeSchedule, PolynomialDecay, scheduleFromJSON } from '../../src/prune/index.js';

/** TFMOT's PolynomialDecay.__call__, written out independently. */
function tfmot(step: number, si: number, sf: number, b: number, e: number, power: number): number {
  const p = Math.min(1, Math.max(0, (step - b) / (e - b)));
  return (si - sf) * (1 - p) ** power + sf;
}

describe('PolynomialDecay', () => {
  const s = new PolynomialDecay({ initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 100, endStep: 1100, frequency: 50 });
  it.each([0, 100, 150, 350, 600, 1099, 1100, 5000])('sparsity at step %i matches the TFMOT formula', (step) => {
    expect(s.sparsityAt(step)).toBeCloseTo(tfmot(step, 0.2, 0.8, 100, 1100, 3), 12);
  });
  it.each([
    [100, 0.2], [600, 0.8 - 0.6 * 0.125], [1100, 0.8],
  ])('hand-checked value at step %i', (step, want) => {
    expect(s.sparsityAt(step)).toBeCloseTo(want, 12);
  });
  it.each([
    [99, false], [100, true], [149, false], [150, true], [1100, true], [1150, false],
  ])('prunes at step %i: %s (every 50 steps inside [begin, end])', (step, want) => {
    expect(s.shouldPrune(step)).toBe(want);
  });
});

describe('ConstantSparsity', () => {
  it.each([
    [{ targetSparsity: 0.5 }, 0, true], [{ targetSparsity: 0.5 }, 100, true], [{ targetSparsity: 0.5 }, 101, false],
    [{ targetSparsity: 0.5, beginStep: 10, endStep: 30, frequency: 10 }, 30, true],
    [{ targetSparsity: 0.5, beginStep: 10, endStep: 30, frequency: 10 }, 40, false],
    [{ targetSparsity: 0.5, beginStep: 10, endStep: 30, frequency: 10 }, 5, false],
  ])('%j at step %i prunes: %s', (o, step, want) => {
    const s = new ConstantSparsity(o);
    expect(s.shouldPrune(step)).toBe(want);
    expect(s.sparsityAt(step)).toBe(0.5);
  });
});

describe('IterativeSchedule', () => {
  const s = new IterativeSchedule({ sparsities: [0.5, 0.75, 0.9], stepsPerRound: 10 });
  it.each([
    [0, true, 0.5], [5, false, 0.5], [10, true, 0.75], [20, true, 0.9], [30, false, 0.9], [99, false, 0.9],
  ])('step %i: prune %s at %s', (step, prune, sparsity) => {
    expect(s.shouldPrune(step)).toBe(prune);
    expect(s.sparsityAt(step)).toBe(sparsity);
  });
});

describe('validation and JSON', () => {
  it.each([
    () => new ConstantSparsity({ targetSparsity: 1 }),
    () => new ConstantSparsity({ targetSparsity: 0.5, beginStep: 10, endStep: 5 }),
    () => new ConstantSparsity({ targetSparsity: 0.5, frequency: 0 }),
    () => new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: -1 }),
    () => new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.9, beginStep: 5, endStep: 5 }),
    () => new PolynomialDecay({ initialSparsity: -0.1, finalSparsity: 0.9, beginStep: 0, endStep: 5 }),
    () => new IterativeSchedule({ sparsities: [0.9, 0.5], stepsPerRound: 10 }),
    () => new IterativeSchedule({ sparsities: [], stepsPerRound: 10 }),
    () => scheduleFromJSON({ kind: 'cosine' }),
  ])('rejects invalid schedule #%#', (make) => {
    try {
      make();
      expect.unreachable();
    } catch (e) {
      expect(isShrinkmlError(e) && e.subject).toBe('schedule');
    }
  });

  it.each([
    new ConstantSparsity({ targetSparsity: 0.6, beginStep: 3, endStep: 90, frequency: 7 }),
    new PolynomialDecay({ initialSparsity: 0.1, finalSparsity: 0.9, beginStep: 0, endStep: 400, power: 2, frequency: 25 }),
    new IterativeSchedule({ sparsities: [0.3, 0.6], stepsPerRound: 4, beginStep: 2 }),
  ])('round-trips $kind through JSON', (s) => {
    const back = scheduleFromJSON(JSON.parse(JSON.stringify(s)));
    expect(back.toJSON()).toEqual(s.toJSON());
    for (const step of [0, 3, 50, 200, 400]) {
      expect(back.sparsityAt(step)).toBe(s.sparsityAt(step));
      expect(back.shouldPrune(step)).toBe(s.shouldPrune(step));
    }
  });
});
