import { ShrinkmlError } from '../../core/errors.js';
import { BUDGET_METRICS, findBudgetMetric, type BudgetMetricDef } from './metrics.js';
import type { Budget, BudgetCriterion, BudgetOp } from './types.js';
import { toBase, UNIT_HELP } from './units.js';

const FORM = 'NAME OP VALUE, OP one of <=, <, >=, >, = (e.g. size<=300KB,p50<=2ms,acc>=0.98)';
const CRITERION = /^([A-Za-z][A-Za-z0-9_]*)(<=|>=|<|>|=)(.*)$/;
const NUMBER = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(.*)$/;

function fail(text: string, problem: string, suggestion?: string): never {
  throw new ShrinkmlError('BUDGET', `budget criterion '${text}': ${problem}`, { subject: '--budget', suggestion });
}

const upper = (op: BudgetOp) => op === '<=' || op === '<';
const lower = (op: BudgetOp) => op === '>=' || op === '>';

/** True when no value the metric can take satisfies `op target` (e.g. size<=0: a model has more than 0 bytes). */
function impossible(def: BudgetMetricDef, op: BudgetOp, t: number): boolean {
  switch (op) {
    case '<=': return t < def.lo || (t === def.lo && !!def.loOpen);
    case '<': return t <= def.lo;
    case '>=': return t > def.hi;
    case '>': return t >= def.hi;
    case '=': return t < def.lo || t > def.hi || (t === def.lo && !!def.loOpen);
  }
}

function parseCriterion(raw: string): BudgetCriterion {
  const text = raw.replace(/\s+/g, '');
  const m = CRITERION.exec(text);
  if (!m) {
    const name = /^[A-Za-z][A-Za-z0-9_]*/.exec(text)?.[0];
    if (name && !/[<>=]/.test(text)) fail(text, `missing operator; expected ${FORM}`);
    fail(text, `cannot read it; expected ${FORM}`);
  }
  const [, name, op, valueText] = m as unknown as [string, string, BudgetOp, string];
  const def = findBudgetMetric(name);
  if (!def) fail(text, `unknown metric '${name}'; known metrics: ${BUDGET_METRICS.map((d) => d.name).join(', ')}`);
  if (valueText === '') fail(text, `no value after '${op}'`, `e.g. ${def.example}`);
  const num = NUMBER.exec(valueText);
  if (!num) fail(text, `'${valueText}' is not a number`, `e.g. ${def.example}`);
  const value = Number(num[1]);
  if (!Number.isFinite(value)) fail(text, `'${num[1]}' is not a finite number`, `e.g. ${def.example}`);
  const unit = num[2];
  const target = toBase(def.kind, value, unit);
  if (target === undefined) {
    const problem = unit === '' ? `${def.name} needs a unit` : `'${unit}' is not a unit for ${def.name}`;
    fail(text, `${problem}; use ${UNIT_HELP[def.kind]}`, `e.g. ${def.example}`);
  }
  if (target < def.lo || target > def.hi) {
    const hint = def.kind === 'fraction' && target > 1 && target <= 100 ? `; did you mean ${value}%?` : '';
    fail(text, `${target} is outside the possible range ${def.lo}..${def.hi} of ${def.name}${hint}`, `e.g. ${def.example}`);
  }
  if (impossible(def, op, target)) fail(text, `no ${def.name} can be ${op} ${valueText}: the budget can never be met`, `e.g. ${def.example}`);
  return { text, metric: def.name, op, target };
}

/** Two bounds on the same side are a duplicate; an '=' alongside anything else is one too. */
function checkPair(a: BudgetCriterion, b: BudgetCriterion): void {
  const same = (upper(a.op) && upper(b.op)) || (lower(a.op) && lower(b.op)) || a.op === '=' || b.op === '=';
  if (same) fail(b.text, `duplicates '${a.text}' (one bound per side for ${a.metric})`, 'keep one of them');
  const [lo, hi] = lower(a.op) ? [a, b] : [b, a];
  const strict = lo.op === '>' || hi.op === '<';
  if (lo.target > hi.target || (lo.target === hi.target && strict)) {
    fail(b.text, `contradicts '${a.text}': no ${a.metric} satisfies both`, 'fix the bounds so the lower one is below the upper one');
  }
}

/**
 * Parses a comma-separated budget such as `size<=300KB,gzip<=100KB,p50<=2ms,acc>=0.98,drop<=0.5%`. Every problem
 * is a ShrinkmlError with code 'BUDGET' and subject '--budget' naming the criterion and the expected form.
 */
export function parseBudget(text: string): Budget {
  const parts = text.split(',');
  if (text.trim() === '') throw new ShrinkmlError('BUDGET', 'the budget is empty', { subject: '--budget', suggestion: `write ${FORM}` });
  const criteria: BudgetCriterion[] = [];
  parts.forEach((part, i) => {
    if (part.trim() === '') fail(part, `criterion ${i + 1} is empty (stray comma?)`, `write ${FORM}`);
    const c = parseCriterion(part);
    for (const prev of criteria) if (prev.metric === c.metric) checkPair(prev, c);
    criteria.push(c);
  });
  return { criteria };
}

/**
 * A budget from a string or from data (e.g. read back from JSON). Data is re-parsed from its criteria texts so a
 * hand-edited file gets the same checks as the flag.
 */
export function toBudget(input: string | Budget): Budget {
  if (typeof input === 'string') return parseBudget(input);
  if (!input || !Array.isArray(input.criteria) || input.criteria.some((c) => typeof c?.text !== 'string')) {
    throw new ShrinkmlError('BUDGET', 'a budget object needs criteria: [{text, ...}]', { subject: '--budget' });
  }
  return parseBudget(input.criteria.map((c) => c.text).join(','));
}
