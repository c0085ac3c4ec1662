/**
 * Metrics are streamed: `collect` sees one batch of outputs at a time, `compute` gives the value over everything
 * collected, so evaluating 10k samples never holds all outputs in memory.
 */
export interface MetricBatch {
  /** The model's outputs for the batch, row-major `[rows, cols]`. */
  output: Float32Array;
  /** The reference model's outputs for the same inputs, same layout (metrics with needs 'reference'). */
  reference?: Float32Array;
  /** Class indices, one per row (metrics with needs 'labels'). */
  labels?: Int32Array;
  rows: number;
  cols: number;
}

export interface MetricAccumulator {
  collect(batch: MetricBatch): void;
  /** NaN when nothing was collected. */
  compute(): number;
}

export interface Metric {
  /** The name used in results, budgets and `--metrics`, e.g. 'meanKl'. */
  name: string;
  description: string;
  /** 'labels': scored against ground truth; 'reference': scored against a reference model's outputs. */
  needs: 'labels' | 'reference';
  higherIsBetter: boolean;
  /**
   * Compares class scores (top-1, KL): collected only on outputs that can be a class vector per sample, not on boxes,
   * keypoints or maps (`Outputs.classScores` false), where a "top-1" is an arbitrary coordinate.
   */
  classScores?: boolean;
  create(): MetricAccumulator;
}
