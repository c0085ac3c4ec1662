import type { FloatFallbackReport } from './static-sensitivity.js';

/** What a compression pass did, node by node, for the CLI report and --json. */
export interface QuantizedNode {
  node: string;
  op: string;
  /** The weight tensor that was quantized. */
  weight: string;
  shape: number[];
  weightSource: 'initializer' | 'constant';
  perChannel: boolean;
  /** Dynamic: int8 weights dequantized before a float MatMul/Gemm, activations left float (DynamicQuantizeOptions.weightOnly). */
  weightOnly?: boolean;
}

export interface SkippedNode { node: string; op: string; reason: string }

export interface QuantizeReport {
  mode: 'dynamic' | 'static';
  quantized: QuantizedNode[];
  skipped: SkippedNode[];
  /** Static only: the activation tensors given Q/DQ pairs, with their parameters. */
  activations?: { tensor: string; scale: number; zeroPoint: number; min: number; max: number }[];
  /** Static only: where the activation ranges came from (observer name and calibration sample count). */
  calibration?: { observer: string; samples: number };
  /** Static only: the sensitivity-driven float fallback (./static-sensitivity.ts), when it ran. */
  fallback?: FloatFallbackReport;
  /** For a person reading the report: what was left float by design rather than by failure, and why. */
  notes?: string[];
}
