import { describe, expect, it } from 'vitest';
import { sensitivityFallback } from '../../src/quantize/sensitivity-fallback.js';

/**
 * A model of four weights whose fidelity is 0.9 plus each kept weight's gain, and whose size grows by each kept
 * weight's cost (fp32 size 100): the loop's choices can be worked out by hand.
 */
const GAIN: Record<string, number> = { a: 0.05, b: 0.04, c: 0.001, d: 0.03 };
const COST: Record<string, number> = { a: 10, b: 2, c: 1, d: 2 };
const model = (kept: readonly string[]) => ({ kept: [...kept], fidelity: 0.9 + kept.reduce((n, k) => n + GAIN[k]!, 0), bytes: 10 + kept.reduce((n, k) => n + COST[k]!, 0) });
const base = { first: model([]), candidates: Object.keys(GAIN), run: async (kept: readonly string[]) => model(kept), fidelity: async (m: ReturnType<typeof model>) => m.fidelity, ratio: (m: ReturnType<typeof model>) => 100 / m.bytes };

describe('sensitivityFallback', () => {
  it.each([
    // By gain alone: a (0.05) then b; the target 0.98 is passed after b.
    { name: 'by gain, stops at the target', o: { target: 0.98, minRatio: 1 }, kept: ['a', 'b'], after: 0.99 },
    // Per byte: b (0.02/B), d (0.015/B), a (0.005/B); the ratio floor 100/14 ≈ 7.1 leaves room for b and d only.
    { name: 'per byte, within the ratio floor', o: { target: 1, minRatio: 7, cost: (k: string) => COST[k]! }, kept: ['b', 'd'], after: 0.97 },
    { name: 'at most maxKept', o: { target: 1, minRatio: 1, maxKept: 1 }, kept: ['a'], after: 0.95 },
    { name: 'gains below minGain are not kept', o: { target: 1, minRatio: 1, minGain: 0.01 }, kept: ['a', 'b', 'd'], after: 1.02 },
  ])('$name', async ({ o, kept, after }) => {
    const r = await sensitivityFallback({ ...base, ...o });
    expect(r.kept.map((k) => k.key)).toEqual(kept);
    expect(r.result.kept).toEqual(kept);
    expect(r.before).toBeCloseTo(0.9, 12);
    expect(r.after).toBeCloseTo(after, 12);
    expect(r.ratio).toBeCloseTo(100 / r.result.bytes, 12);
  });

  it('keeps the first model when it already meets the target or is below the ratio floor', async () => {
    expect((await sensitivityFallback({ ...base, target: 0.85, minRatio: 1 })).kept).toEqual([]);
    expect((await sensitivityFallback({ ...base, target: 1, minRatio: 20 })).result).toBe(base.first);
  });
});
