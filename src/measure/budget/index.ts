export { parseBudget, toBudget } from './parse.js';
export { checkBudget, budgetValues } from './check.js';
export { formatBudget, budgetToString } from './format.js';
export { BUDGET_METRICS, comparesClassScores, findBudgetMetric, hasLatencyCriterion } from './metrics.js';
export type { BudgetMetricDef, UnitKind } from './metrics.js';
export { formatValue } from './units.js';
export type { Budget, BudgetCheck, BudgetCriterion, BudgetMetric, BudgetOp, CriterionResult } from './types.js';
