/** Budget types. A budget is plain data: it survives JSON.stringify/parse unchanged. */

export type BudgetOp = '<=' | '<' | '>=' | '>' | '=';

/** The names a budget criterion may use (canonical; aliases such as `accuracy` map onto these). */
export type BudgetMetric =
  | 'size' | 'gzip' | 'p50' | 'p95' | 'acc' | 'drop' | 'params' | 'nonzero' | 'sparsity'
  | 'agreement' | 'kl' | 'cosine' | 'mse' | 'psnr';

export interface BudgetCriterion {
  /** The criterion as written, whitespace removed, e.g. `size<=300KB`. */
  text: string;
  metric: BudgetMetric;
  op: BudgetOp;
  /**
   * In the metric's base unit: bytes for size/gzip, ms for p50/p95, a fraction in [0, 1] for acc, agreement and
   * sparsity, percentage points for drop, a count for params/nonzero, dB for psnr, plain numbers otherwise.
   */
  target: number;
}

export interface Budget {
  criteria: BudgetCriterion[];
}

export interface CriterionResult {
  criterion: string;
  metric: BudgetMetric;
  op: BudgetOp;
  target: number;
  /** null when the value was not measured (no data, no reference, no latency run). */
  measured: number | null;
  pass: boolean;
  /** Headroom in the base unit: positive when passing, negative by how much it failed; null if not measured. */
  margin: number | null;
  /** Why a criterion failed without a comparison, e.g. 'not measured'. */
  reason?: string;
}

export interface BudgetCheck {
  pass: boolean;
  criteria: CriterionResult[];
}
