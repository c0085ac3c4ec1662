/** A point of the size/accuracy trade-off: the input, the output, each search trial, or each bench variant. */
export interface PlotPoint {
  label: string;
  kind: 'input' | 'output' | 'trial' | 'variant';
  gzipBytes: number;
  bytes: number;
  accuracy?: number;
  p50Ms?: number;
  /** Met the budget (trials and outputs); undefined when there was no budget. */
  pass?: boolean;
}

/**
 * The Pareto front for "smaller is better" on x and "higher is better" on y: a point is on it when no other
 * point is at least as small and at least as accurate, and strictly better in one. Returned sorted by x.
 */
export function paretoFront<T>(points: readonly T[], x: (p: T) => number, y: (p: T) => number): T[] {
  const sorted = [...points].sort((a, b) => x(a) - x(b) || y(b) - y(a));
  const front: T[] = [];
  let bestY = -Infinity;
  for (const p of sorted) {
    if (y(p) > bestY) {
      front.push(p);
      bestY = y(p);
    }
  }
  return front;
}

/**
 * The Pareto front over any number of objectives, each "smaller is better" (negate one where higher is better): a
 * point is on it when no other point is at least as good on every objective and strictly better on one. In input order.
 */
export function paretoFrontOf<T>(points: readonly T[], objectives: readonly ((p: T) => number)[]): T[] {
  const dominates = (a: T, b: T) => objectives.every((f) => f(a) <= f(b)) && objectives.some((f) => f(a) < f(b));
  return points.filter((p) => !points.some((q) => q !== p && dominates(q, p)));
}
