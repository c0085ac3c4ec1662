import { budgetMetricDef } from './metrics.js';
import type { Budget, BudgetCheck } from './types.js';
import { formatValue } from './units.js';

/** The budget as one flag value again (`size<=300KB,p50<=2ms`); parseBudget of it gives the same budget. */
export function budgetToString(budget: Budget): string {
  return budget.criteria.map((c) => c.text).join(',');
}

/**
 * A verdict table for people, one line per criterion, then the overall verdict:
 *   PASS  size<=300KB   measured 245.3 KB   margin 54.7 KB
 *   FAIL  p50<=2ms      not measured
 */
export function formatBudget(check: BudgetCheck): string {
  const width = Math.max(0, ...check.criteria.map((c) => c.criterion.length));
  const lines = check.criteria.map((c) => {
    const kind = budgetMetricDef(c.metric).kind;
    const head = `${c.pass ? 'PASS' : 'FAIL'}  ${c.criterion.padEnd(width)}  `;
    if (c.measured === null || c.margin === null) return `${head}${c.reason ?? 'not measured'}`;
    const margin = c.margin >= 0 ? formatValue(kind, c.margin) : `-${formatValue(kind, -c.margin)}`;
    return `${head}measured ${formatValue(kind, c.measured)}  margin ${margin}`;
  });
  const failed = check.criteria.filter((c) => !c.pass).length;
  lines.push(check.pass
    ? `budget: PASS (${check.criteria.length} criteria met)`
    : `budget: FAIL (${failed} of ${check.criteria.length} criteria failed)`);
  return lines.join('\n');
}
