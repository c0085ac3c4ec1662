import { ShrinkmlError } from '../../core/errors.js';
import { formatValue, type Budget, type BudgetCheck, type CriterionResult } from '../../measure/index.js';

/**
 * Standard errors added to a trial's accuracy drop before it is checked against the budget: 1 gives a one-sided
 * ≈84% upper bound on the true drop. A few thousand validation samples leave 0.1–0.2 pt of noise in a measured
 * drop, and the search keeps the first candidate that passes, so judging the raw drop picks candidates whose
 * drop was luckily low on validation and misses on the test split.
 */
export const DEFAULT_ACCURACY_MARGIN = 1;

/** Where two models' top-1 correctness differs on the same samples (McNemar's discordant pairs). */
export interface PairedCounts {
  /** Samples compared. */
  n: number;
  /** Original right, candidate wrong (McNemar's b). */
  lost: number;
  /** Original wrong, candidate right (McNemar's c). */
  gained: number;
}

/** The margin's verdict on a trial's drop criterion, as report.json's `trials[].accuracyMargin` keeps it. */
export interface AccuracyMargin {
  /** The drop criterion as written, e.g. `drop<=0.3%`. */
  criterion: string;
  /** Standard errors added (0: the raw drop is judged). */
  z: number;
  samples: number;
  lost: number;
  gained: number;
  /** Points: the measured drop, its paired standard error, and drop + z·SE, which is what the limit is checked against. */
  drop: number;
  se: number;
  bound: number;
  /** The criterion's limit, in points. */
  limit: number;
  pass: boolean;
  /** For people: `drop 0.22 pt + 1.0×0.12 pt SE = 0.34 pt > 0.3 pt`. */
  verdict: string;
}

/**
 * Standard error of the accuracy difference between two models measured on the same n samples, as a fraction.
 * Paired: only the discordant samples carry information, so with diff = (b − c)/n the per-sample differences
 * (−1, 0 or 1) have variance (b + c)/n − diff², and SE = sqrt(b + c − (b − c)²/n) / n. Far tighter than two
 * independent binomial errors, since both models get most samples right together.
 */
export function pairedStandardError({ n, lost, gained }: PairedCounts): number {
  if (n <= 0) return NaN;
  const d = lost - gained;
  // max(0, …): b + c ≥ (b − c)²/n always, but rounding may dip below zero when every sample is discordant.
  return Math.sqrt(Math.max(0, lost + gained - (d * d) / n)) / n;
}

/** Counts the discordant samples of two per-sample correctness vectors (1 = right) over the same samples. */
export function pairCounts(original: Uint8Array, candidate: Uint8Array): PairedCounts {
  if (original.length !== candidate.length) {
    throw new ShrinkmlError('INTERNAL', `paired accuracy: ${original.length} original predictions but ${candidate.length} candidate predictions`);
  }
  let lost = 0;
  let gained = 0;
  for (let i = 0; i < original.length; i++) {
    if (original[i] && !candidate[i]) lost++;
    else if (!original[i] && candidate[i]) gained++;
  }
  return { n: original.length, lost, gained };
}

const isUpper = (op: string) => op === '<=' || op === '<';

/** True when the budget caps the accuracy drop, the only criterion the margin applies to. */
export function hasDropLimit(budget: Budget): boolean {
  return budget.criteria.some((c) => c.metric === 'drop' && isUpper(c.op));
}

const points = (v: number) => `${v.toFixed(2)} pt`;
const multiplier = (z: number) => (Number.isInteger(z) ? z.toFixed(1) : String(Number(z.toFixed(3))));

/**
 * Re-judges the check's drop criterion on drop + z·SE: the candidate passes only when the limit holds with that
 * margin for the sampling noise of the validation split. The criterion keeps the raw drop as `measured`; its
 * `margin` becomes limit − bound, so the search's shortfall ranks candidates by the bound. Without a measured
 * upper bound on drop the check comes back unchanged and there is no record.
 */
export function applyAccuracyMargin(check: BudgetCheck, counts: PairedCounts, z: number): { check: BudgetCheck; margin?: AccuracyMargin } {
  const at = check.criteria.findIndex((c) => c.metric === 'drop' && isUpper(c.op) && c.measured !== null && Number.isFinite(c.measured));
  if (at < 0) return { check };
  const c = check.criteria[at]!;
  const drop = c.measured!;
  const se = 100 * pairedStandardError(counts);
  const bound = drop + z * se;
  const strict = c.op === '<';
  const pass = strict ? bound < c.target : bound <= c.target;
  const verdict = `drop ${points(drop)} + ${multiplier(z)}×${points(se)} SE = ${points(bound)} ` +
    `${pass ? (strict ? '<' : '≤') : (strict ? '≥' : '>')} ${formatValue('points', c.target)}`;
  const judged: CriterionResult = { ...c, pass, margin: c.target - bound };
  const criteria = check.criteria.map((x, i) => (i === at ? judged : x));
  return {
    check: { pass: criteria.every((x) => x.pass), criteria },
    margin: { criterion: c.criterion, z, samples: counts.n, lost: counts.lost, gained: counts.gained, drop, se, bound, limit: c.target, pass, verdict },
  };
}
