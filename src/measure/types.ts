import type { ModelKind } from '../formats/types.js';
import type { BudgetCheck } from './budget/types.js';
import type { LatencyResult } from './latency.js';
import type { LayerStats } from './params.js';
import type { SizeResult } from './size.js';

/**
 * Everything measured about one model. The field names are a contract: the CLI's `--json` prints them at the
 * top level. Optional fields are absent when not measured (no data ⇒ no accuracy, no reference ⇒ no agreement,
 * no budget ⇒ no verdict).
 */
export interface Measurement {
  kind: ModelKind;
  source: string;
  /** The tfjs backend active while measuring. */
  backend: string;
  params: number;
  nonzeroParams: number;
  /** 1 − nonzeroParams/params over all parameters. */
  sparsity: number;
  /** Per layer (LayersModel) or per weight tensor (GraphModel). */
  layers: LayerStats[];
  size: SizeResult;
  /** `p50Ms`/`p95Ms` at batch size 1, every batch size under `byBatch`. */
  latency?: LatencyResult;
  /** Samples the quality metrics were computed on. */
  samples?: number;
  /** Top-1 accuracy, a fraction in [0, 1]. */
  accuracy?: number;
  /** The reference model's accuracy on the same data. */
  referenceAccuracy?: number;
  /** referenceAccuracy − accuracy, in percentage points (0.5 = half a point lost). */
  drop?: number;
  agreement?: number;
  meanKl?: number;
  cosine?: number;
  mse?: number;
  psnr?: number;
  /** Set when state inputs were fed back frame by frame (recurrent/streaming models): input → output, and a line for reports. */
  streamed?: { state: Record<string, string>; note: string };
  /** Any further registry metric, by name. */
  metrics?: Record<string, number>;
  budget?: BudgetCheck;
}
