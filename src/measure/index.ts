/** Measurement: size, parameters and sparsity, latency, quality metrics, and budgets. */
export { measureModel } from './measure.js';
export type { MeasureModelOptions } from './measure.js';
export type { Measurement } from './types.js';

export { measureSize, sizeFromBytes } from './size.js';
export type { FileSize, NamedBytes, SizeResult } from './size.js';
export { countParams } from './params.js';
export type { CountParamsOptions, LayerStats, ParamStats, WeightStats } from './params.js';
export { measureLatency } from './latency.js';
export type { BatchLatency, LatencyOptions, LatencyResult } from './latency.js';
export { percentile, summarize } from './percentile.js';
export type { Summary } from './percentile.js';
export { evaluateQuality } from './quality.js';
export type { EvaluateQualityOptions, QualityBatch, QualityBatches, QualityResult } from './quality.js';
export { runModel, isGraphModel } from './run.js';
export type { AnyModel } from './run.js';

export { METRICS, getMetric, argmax, isProbabilities, toProbabilities } from './metrics/index.js';
export type { Metric, MetricAccumulator, MetricBatch } from './metrics/index.js';

export * from './budget/index.js';
