/**
 * The compress pipeline: ordered steps (prune, distill, cluster, qat, ptq, weight-format) as data, presets, a
 * deterministic runner, lineage for every output, and the accuracy-aware budget search.
 */
export { buildLineage, readLineage, hashModelFiles, hashWeights, lineageFileName, LINEAGE_FILE } from './lineage.js';
export type { Lineage } from './lineage.js';
export { parsePipelineConfig, loadPipelineConfig, PIPELINE_SCHEMA } from './config.js';
export type { PipelineConfig, StepConfig } from './config.js';
export { validateSchema, assertSchema } from './schema.js';
export type { Schema, ObjectSchema, SchemaIssue } from './schema.js';
export { PRESETS, PRESET_NAMES, getPreset } from './presets.js';
export type { Preset } from './presets.js';
export { configFromFlags } from './flags.js';
export type { PipelineFlags } from './flags.js';
export { STEPS, STEP_NAMES, getStep, MAX_LEVEL, PHASES, emptyOutputPlan, relaxedSparsity, relaxedClusters, stepImpl, stepNeeds, supportedKinds } from './steps/index.js';
export type { AdapterStepContext, AdapterStepResult, LayerLevels, OutputPlan, PipelineStep, StepContext, StepFormats, StepImpl, StepName, StepPhase, StepResult } from './steps/index.js';
export { CALIBRATION_HOLD_OUT, DataProvider } from './data.js';
export type { DataUse, PipelineDataOptions } from './data.js';
export { runPipeline, stepSeed } from './run.js';
export type { PipelineRun, RunPipelineOptions, StepRecord } from './run.js';
export { ModelOutput, writeModel, readModelBack } from './output.js';
export type { OpenOutputOptions, WriteModelOptions } from './output.js';
export { measureWritten, summarize as summarizeMeasurement } from './measure.js';
export type { MeasureWrittenOptions, MetricsSummary } from './measure.js';
export { ZeroHold } from './hold-zeros.js';
export { searchBudget, searchJobContext, trialFront } from './search/search.js';
export { localExecutor } from './search/executor.js';
export type { SearchJobContext, TrialExecutor, TrialSpec } from './search/executor.js';
export { openTrialRuntime, executeTrial } from './search/trial.js';
export type { TrialRuntime } from './search/trial.js';
export type { SearchOptions, SearchResult } from './search/search.js';
export { checkJournal, Journal, journalPath } from './search/journal.js';
export type { JournalData } from './search/journal.js';
export { better, checkMeasurable, failing, objectiveOf, shortfall, isCost, COST_METRICS } from './search/score.js';

export { probeSensitivity } from './search/sensitivity.js';
export type { SensitivityRow } from './search/sensitivity.js';
export type { TrialRecord } from './search/types.js';
export { reproduceLineage } from './reproduce.js';
export type { Reproduction } from './reproduce.js';
export { compressModel, SEARCH_DEFAULTS } from './compress.js';
export { compress } from './api.js';
export type { CompressFileOptions } from './api.js';
export { runAdapterPipeline, checkSupported } from './run.js';
export type { AdapterPipelineRun, RunAdapterPipelineOptions } from './run.js';
export type { CompressOptions, CompressResult } from './compress.js';
export { runBench, benchTargets, compressionTargetFor, COMPRESSION_TARGETS, BENCH_VARIANTS } from './bench.js';
export type { CompressionTarget } from './bench.js';
export type { BenchOptions, BenchSettings, BenchVariant } from './bench.js';
